"""Reading merchants' CSV files and writing ones that are safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, as spreadsheets export."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab: whichever the header line uses most."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def header_key(name: str) -> str:
    return re.sub(r"[^a-z0-9#]", "", name.strip().lower())


def records(text: str, delimiter: str) -> Iterator[list[str]]:
    """Rows as lists of cells; NUL bytes (binary junk) are dropped rather than crashing."""
    return csv.reader(io.StringIO(text.replace("\x00", ""), newline=""), delimiter=delimiter)


def safe_cell(value: object) -> str:
    """Neutralise spreadsheet formulas: a leading = + - @ tab or CR is prefixed with '."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
