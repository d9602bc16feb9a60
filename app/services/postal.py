"""Addresses as they are written on a parcel and a document (pure): country names people use,
and the city line in the order each country writes it."""

from __future__ import annotations

from iso3166 import countries_by_alpha2

from app.services.addresses import Address

# Where ISO's names are not the ones on an envelope.
_SHORT_NAMES = {
    "BO": "Bolivia",
    "BQ": "Caribbean Netherlands",
    "CD": "DR Congo",
    "FK": "Falkland Islands",
    "FM": "Micronesia",
    "GB": "United Kingdom",
    "IR": "Iran",
    "KP": "North Korea",
    "KR": "South Korea",
    "LA": "Laos",
    "MD": "Moldova",
    "MF": "Saint Martin",
    "RU": "Russia",
    "SH": "Saint Helena",
    "SX": "Sint Maarten",
    "SY": "Syria",
    "TZ": "Tanzania",
    "US": "United States",
    "VE": "Venezuela",
    "VG": "British Virgin Islands",
    "VI": "U.S. Virgin Islands",
    "VN": "Vietnam",
}
# City, state and postcode on one line, in this order ("Arlington, VA 22202").
_CITY_STATE_POSTCODE = frozenset({"US", "CA", "AU", "NZ", "PR", "PH", "MY", "SG"})
# The postcode on a line of its own, under the city (and county, if any).
_POSTCODE_BELOW = frozenset({"GB", "IE", "IM", "JE", "GG", "GI", "FK", "SH", "ZA", "LV", "UA"})


def country_name(code: str) -> str:
    """The country's everyday English name; the code itself when it is no ISO code."""
    upper = code.strip().upper()
    if upper in _SHORT_NAMES:
        return _SHORT_NAMES[upper]
    found = countries_by_alpha2.get(upper)
    return found.apolitical_name if found else code


def _joined(*parts: str, between: str = " ") -> str:
    return between.join(p for p in (part.strip() for part in parts) if p)


def city_lines(address: Address) -> list[str]:
    """The city, state and postcode as the country writes them; never a line that starts
    with a blank for a part that is missing."""
    country = address.country.upper()
    city, state, postcode = address.city, address.state, address.postal_code
    if country in _CITY_STATE_POSTCODE:
        line = _joined(_joined(city, state, between=", "), postcode)
        return [line] if line else []
    if country in _POSTCODE_BELOW:
        return [line for line in (_joined(city, state, between=", "), postcode.strip()) if line]
    lines = [_joined(postcode, city)]
    if state.strip():
        lines.append(state.strip())
    return [line for line in lines if line]


def address_lines(address: Address, *, with_country: bool = True) -> list[str]:
    """The lines of an address label: name, company, street, city, country (by name)."""
    lines = [address.full_name, address.company.strip(), address.street1.strip()]
    lines.append(address.street2.strip())
    lines += city_lines(address)
    if with_country and address.country.strip():
        lines.append(country_name(address.country))
    return [line for line in lines if line]
