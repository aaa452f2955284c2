"""Bytes to cells: the text encodings a spreadsheet saves CSV in, and XLSX workbooks (openpyxl, read-only)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time

#: The start of every ZIP file, which an XLSX workbook is.
ZIP_MAGIC = b"PK\x03\x04"


class DecodeRefused(ValueError):
    """The bytes are not text in an encoding we read, nor a workbook we can open."""


def looks_like_xlsx(data: bytes, filename: str | None = None) -> bool:
    return data.startswith(ZIP_MAGIC) or bool(filename and filename.lower().endswith((".xlsx", ".xlsm")))


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding name) for UTF-8 (with or without a BOM) or Windows-1252 bytes.

    Raises DecodeRefused naming what was tried and where it failed.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DecodeRefused(
            "The file is UTF-16 text, which is not read here. In your spreadsheet choose ‘Save as CSV UTF-8’ "
            "and upload that."
        )
    if b"\x00" in data:
        raise DecodeRefused("The file is not a CSV text file or an XLSX workbook.")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "UTF-8 with BOM"
        except UnicodeDecodeError as exc:
            at = exc.start + 3
            raise DecodeRefused(
                f"The file starts as UTF-8 but byte {at + 1:,} ({_line_of(data, at)}) is not UTF-8. "
                "Save it again as ‘CSV UTF-8’ and upload that."
            ) from None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("cp1252"), "Windows-1252"
        except UnicodeDecodeError as cp_error:
            raise DecodeRefused(
                "The file is neither UTF-8 nor Windows-1252 text: "
                f"byte {utf8_error.start + 1:,} ({_line_of(data, utf8_error.start)}) is not UTF-8, and "
                f"byte {cp_error.start + 1:,} ({_line_of(data, cp_error.start)}) is not Windows-1252. "
                "In your spreadsheet choose ‘Save as CSV UTF-8’ and upload that."
            ) from None


def _line_of(data: bytes, offset: int) -> str:
    newline = b"\n"
    return f"line {data.count(newline, 0, offset) + 1:,}"


def xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells as text) for each row of the workbook's first sheet. Raises DecodeRefused."""
    from openpyxl import load_workbook  # imported here: only uploads of workbooks need it

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise DecodeRefused(
            "The file looks like an XLSX workbook but could not be opened "
            f"({type(exc).__name__}). Save it again from your spreadsheet, or as CSV."
        ) from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(v) for v in values]
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    """A cell's value as the text a person typed: whole numbers without ``.0``, dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
