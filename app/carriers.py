"""Tracking-number rules: normalise, detect the carrier, check digits, tracking URLs (pure).

The format data and check digits come from the `tracking-numbers` package; this module only
decides what a number given by a merchant means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracking_numbers import DEFINITIONS

_NUMBER_RE = re.compile(r"^[A-Z0-9-]{1,50}$")
_CARRIER_RE = re.compile(r"^[a-z0-9][a-z0-9 _.-]{0,49}$")
_KNOWN = {d.courier.code for d in DEFINITIONS}
_BY_CARRIER = {code: [d for d in DEFINITIONS if d.courier.code == code] for code in _KNOWN}

# Where the package has no URL: postal (UPU S10) numbers by their issuing country.
_S10_URLS = {
    "US": "https://tools.usps.com/go/TrackConfirmAction?tLabels={n}",
    "GB": "https://www.royalmail.com/track-your-item#/tracking-results/{n}",
    "DE": "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode={n}",
    "CA": "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={n}",
}
_CARRIER_URLS = {
    "ups": "https://www.ups.com/track?tracknum={n}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={n}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={n}",
    "dhl": "https://www.dhl.com/en/express/tracking.html?AWB={n}&brand=DHL",
}


class InvalidTrackingNumber(ValueError):
    """The number (or carrier) cannot be right; the message says why."""


@dataclass(frozen=True)
class Tracking:
    number: str
    carrier: str | None
    url: str | None


def normalise_number(raw: str) -> str:
    number = re.sub(r"\s+", "", raw).upper()
    if not _NUMBER_RE.match(number):
        raise InvalidTrackingNumber("A tracking number has 1 to 50 letters, digits or dashes.")
    return number


def normalise_carrier(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    carrier = raw.strip().lower()
    if not _CARRIER_RE.match(carrier):
        raise InvalidTrackingNumber("A carrier is a short name like ups, usps, fedex or dhl.")
    return carrier


def tracking_url(number: str, carrier: str | None) -> str | None:
    """Where the carrier shows the number's progress; None when unknown (or no number)."""
    if not number:
        return None
    if carrier == "s10":
        template = _S10_URLS.get(number[-2:])
        return template.format(n=number) if template else None
    template = _CARRIER_URLS.get(carrier or "")
    return template.format(n=number) if template else None


# Carriers that also deliver UPU S10 (postal) numbers.
_NOT_POSTAL = frozenset({"ups", "fedex", "ontrac", "amazon", "cdl"})
# A number of no known format: plausible when it is this long and has a digit.
PLAUSIBLE_LENGTH = range(6, 41)


def _matches(number: str) -> tuple[set[str], set[str]]:
    """Carriers whose format the number has: confirmed by a check digit, and failing it."""
    confirmed: set[str] = set()
    failing: set[str] = set()
    for definition in DEFINITIONS:
        result = definition.test(number)
        if result is None or definition.checksum_validator is None:
            continue
        (confirmed if result.valid else failing).add(definition.courier.code)
    return confirmed, failing - confirmed


def _agrees(detected: str, named: str) -> bool:
    return detected == named or (detected == "s10" and named not in _NOT_POSTAL)


def _plausible(number: str, carrier: str | None) -> None:
    length_ok = len(number) in PLAUSIBLE_LENGTH
    if length_ok and any(c.isdigit() for c in number):
        return
    if carrier is None:
        raise InvalidTrackingNumber(
            f"{number} has no known carrier format; check it, or name its carrier."
        )
    raise InvalidTrackingNumber(
        f"{number} does not look like a tracking number: "
        + ("it has no digits." if length_ok else "it is too short or too long.")
    )


def resolve(raw_number: str, raw_carrier: str | None = None) -> Tracking:
    """Normalise a number; detect its carrier, or check it against the one given.

    A number whose format and check digit identify a carrier must agree with the carrier
    given; one that has a carrier's format but fails its check digit is a typo and refused;
    a number of no known format needs its carrier named and a plausible form (6 to 40
    characters with a digit).
    """
    number = normalise_number(raw_number)
    carrier = normalise_carrier(raw_carrier)
    confirmed, failing = _matches(number)
    if carrier is None:
        if len(confirmed) == 1:
            detected = next(iter(confirmed))
            return Tracking(number, detected, tracking_url(number, detected))
        if failing and not confirmed:
            names = " or ".join(sorted(c.upper() for c in failing))
            raise InvalidTrackingNumber(
                f"{number} has the form of a {names} number but its check digit fails."
            )
        if not confirmed:
            _plausible(number, None)
        return Tracking(number, None, None)  # more than one carrier: leave it open
    if confirmed and not any(_agrees(c, carrier) for c in confirmed):
        detected = " or ".join(sorted(c.upper() for c in confirmed))
        raise InvalidTrackingNumber(
            f"{number} is a {detected} number, not {carrier.upper()}; "
            "correct the number or the carrier."
        )
    if not confirmed:
        if carrier in failing:
            raise InvalidTrackingNumber(
                f"{number} is not a valid {carrier.upper()} number: its check digit fails."
            )
        _plausible(number, carrier)
    return Tracking(number, carrier, tracking_url(number, carrier))


# How a carrier is named to people ("UPS", "Royal Mail"): codes are lower case for matching.
_CARRIER_NAMES = {
    "ups": "UPS",
    "usps": "USPS",
    "fedex": "FedEx",
    "dhl": "DHL",
    "ontrac": "OnTrac",
    "amazon": "Amazon",
    "cdl": "CDL",
    "royal mail": "Royal Mail",
    "royalmail": "Royal Mail",
    "royal-mail": "Royal Mail",
    "parcelforce": "Parcelforce",
    "dpd": "DPD",
    "gls": "GLS",
    "tnt": "TNT",
    "evri": "Evri",
    "hermes": "Hermes",
    "yodel": "Yodel",
    "postnl": "PostNL",
    "la poste": "La Poste",
    "laposte": "La Poste",
    "colissimo": "Colissimo",
    "correos": "Correos",
    "canada post": "Canada Post",
    "canadapost": "Canada Post",
    "purolator": "Purolator",
    "australia post": "Australia Post",
    "auspost": "Australia Post",
    "japan post": "Japan Post",
}
# A UPU S10 number's last two letters name the postal service that issued it.
_POSTAL_SERVICES = {
    "GB": "Royal Mail",
    "US": "USPS",
    "DE": "Deutsche Post",
    "CA": "Canada Post",
    "FR": "La Poste",
    "NL": "PostNL",
    "BE": "bpost",
    "ES": "Correos",
    "IT": "Poste Italiane",
    "IE": "An Post",
    "AT": "Austrian Post",
    "CH": "Swiss Post",
    "SE": "PostNord",
    "DK": "PostNord",
    "NO": "Posten",
    "FI": "Posti",
    "PL": "Poczta Polska",
    "PT": "CTT",
    "AU": "Australia Post",
    "NZ": "NZ Post",
    "JP": "Japan Post",
    "CN": "China Post",
    "HK": "Hongkong Post",
    "SG": "SingPost",
    "IN": "India Post",
}


def carrier_name(carrier: str | None, number: str = "") -> str:
    """The carrier as people name it: "UPS", "Royal Mail" for a GB postal (S10) number,
    "Postal service" for another country's; a merchant's own name with capitals."""
    code = (carrier or "").strip().lower()
    if not code:
        return ""
    if code == "s10":
        return _POSTAL_SERVICES.get(number[-2:].upper(), "Postal service")
    if code in _CARRIER_NAMES:
        return _CARRIER_NAMES[code]
    words = code.replace("_", " ").split()
    if len(words) == 1 and len(code) <= 3:
        return code.upper()
    return " ".join(w[:1].upper() + w[1:] for w in words)
