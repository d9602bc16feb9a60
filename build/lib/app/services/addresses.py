"""Postal addresses as they are snapshotted on orders and shipments."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from iso3166 import countries_by_alpha2

from app.services.errors import Problems

_LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "company": 100,
    "street1": 200,
    "street2": 200,
    "city": 100,
    "state": 100,
    "postal_code": 20,
    "country": 2,
    "phone": 40,
}
_REQUIRED = ("first_name", "last_name", "street1", "city", "country")
_API_NAMES = {
    "first_name": "firstName",
    "last_name": "lastName",
    "postal_code": "postalCode",
}


@dataclass(frozen=True)
class Address:
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    street1: str = ""
    street2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""
    phone: str = ""

    def as_json(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Address:
        return cls(**{k: str(data.get(k) or "") for k in _LIMITS})

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def clean_address(problems: Problems, field: str, address: Address) -> Address:
    """Trimmed, with the country upper-cased; problems name the API field."""
    values = {k: (getattr(address, k) or "").strip() for k in _LIMITS}
    values["country"] = values["country"].upper()
    for key, limit in _LIMITS.items():
        api_name = _API_NAMES.get(key, key)
        if key in _REQUIRED and not values[key]:
            problems.add([field, api_name], "This is required.")
        elif len(values[key]) > limit:
            problems.add([field, api_name], f"At most {limit} characters.")
    if values["country"] and values["country"] not in countries_by_alpha2:
        problems.add([field, "country"], "Use an ISO 3166-1 alpha-2 country code, like US or DE.")
    return Address(**values)


def search_words(*addresses: Address) -> str:
    """The lower-cased names and companies an order is found by."""
    words = [part for a in addresses for part in (a.first_name, a.last_name, a.company) if part]
    return " ".join(dict.fromkeys(w.lower() for w in words))
