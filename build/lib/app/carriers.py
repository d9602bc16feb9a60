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


def resolve(raw_number: str, raw_carrier: str | None = None) -> Tracking:
    """Normalise a number; detect its carrier, or check it against the one given.

    A carrier is detected only when exactly one carrier's format matches with a check digit
    that holds. A number given with a known carrier whose format matches but whose check
    digit fails is refused: that is almost always a typo.
    """
    number = normalise_number(raw_number)
    carrier = normalise_carrier(raw_carrier)
    if carrier is not None:
        if carrier in _KNOWN:
            own = [r for d in _BY_CARRIER[carrier] if (r := d.test(number)) is not None]
            if own and not any(r.valid for r in own):
                raise InvalidTrackingNumber(
                    f"{number} is not a valid {carrier.upper()} number: its check digit fails."
                )
        return Tracking(number, carrier, tracking_url(number, carrier))
    tested = [(d, result) for d in DEFINITIONS if (result := d.test(number)) is not None]
    confirmed = {d.courier.code for d, r in tested if r.valid and d.checksum_validator is not None}
    detected = confirmed.pop() if len(confirmed) == 1 else None
    return Tracking(number, detected, tracking_url(number, detected))
