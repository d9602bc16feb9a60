"""Reading merchants' CSV files and writing ones that are safe to open in a spreadsheet."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TextIO

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def detect_encoding(path: Path, block: int = 1 << 20) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as such, else Windows-1252,
    as spreadsheets export. Reads the file in blocks, never all at once."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(block):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig"


def open_text(path: Path, encoding: str) -> TextIO:
    return path.open(encoding=encoding, errors="replace", newline="")


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab: whichever the header line uses most."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def header_key(name: str) -> str:
    return re.sub(r"[^a-z0-9#]", "", name.strip().lower())


def records(lines: Iterable[str], delimiter: str) -> Iterator[list[str]]:
    """Rows as lists of cells, read lazily; NUL bytes (binary junk) are dropped."""
    return csv.reader((line.replace("\x00", "") for line in lines), delimiter=delimiter)


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
