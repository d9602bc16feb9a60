"""Reading merchants' CSV files (encoding, delimiter, quoted line breaks) and writing ones
that are safe to open in a spreadsheet: the helpers behind imports and exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.services.csv_files import (
    detect_encoding,
    header_key,
    open_text,
    records,
    safe_cell,
    sniff_delimiter,
    write_csv,
)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("Numéro,Tracking\n1,x\n".encode(), "utf-8-sig"),
        (b"\xef\xbb\xbfOrder,Tracking\n", "utf-8-sig"),
        ("Numéro,Tracking\n1,x\n".encode("cp1252"), "cp1252"),
        # a file cut inside its last character is not UTF-8
        (b"Order,Tracking\n1,\xc3", "cp1252"),
    ],
)
def test_the_encoding_is_utf8_only_when_the_whole_file_is(
    tmp_path: Path, data: bytes, encoding: str
) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    assert detect_encoding(path) == encoding
    # in blocks so small that a character is split between two of them
    assert detect_encoding(path, block=3) == encoding


def test_a_file_reads_as_its_encoding_with_line_breaks_inside_quotes_kept(
    tmp_path: Path,
) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes('Numéro;Note\r\n1;"two\r\nlines"\r\n2;caf\x00é\r\n'.encode("cp1252"))
    encoding = detect_encoding(path)
    with open_text(path, encoding) as handle:
        delimiter = sniff_delimiter(handle.readline())
    assert delimiter == ";"
    with open_text(path, encoding) as handle:
        rows = list(records(handle, delimiter))
    assert rows == [["Numéro", "Note"], ["1", "two\r\nlines"], ["2", "café"]]
    path.write_bytes(b"\xef\xbb\xbfOrder,Tracking\n")
    with open_text(path, detect_encoding(path)) as handle:
        assert list(records(handle, ",")) == [["Order", "Tracking"]]  # no BOM in the name


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("Order;Tracking;Carrier\n1,2,3,4,5,6\n7,8,9,10\n", ";"),  # the header decides
        ("Order\tTracking\n", "\t"),
        ("Order,Tracking;x\n", ","),
        ("Order\n1\n", ","),
    ],
)
def test_the_header_line_picks_the_delimiter(text: str, delimiter: str) -> None:
    assert sniff_delimiter(text) == delimiter


def test_header_names_are_compared_without_case_spaces_or_punctuation() -> None:
    assert header_key(" Order # ") == "order#"
    assert header_key("Tracking_Number") == header_key("tracking number") == "trackingnumber"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (None, ""),
        ("", ""),
        (12, "12"),
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
    ],
)
def test_a_cell_never_starts_a_formula(value: object, written: str) -> None:
    assert safe_cell(value) == written


def test_written_csv_has_crlf_lines_quotes_and_safe_cells() -> None:
    assert write_csv(["a", "b"], [["=1", 'say "hi"'], [None, "x,y"]]) == (
        'a,b\r\n\'=1,"say ""hi"""\r\n,"x,y"\r\n'
    )
