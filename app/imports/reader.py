"""A table from pasted text or an uploaded file: the separator, the header matched by name, rows with lines."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from app.imports.decode import DecodeRefused, decode_text, looks_like_xlsx, xlsx_rows

#: Separators tried, in the order that wins a tie (a spreadsheet's paste is tab separated).
SEPARATORS = ("\t", ";", ",")
SEPARATOR_NAMES = {"\t": "tab", ";": "semicolon", ",": "comma"}


class TableRefused(ValueError):
    """The whole input cannot be read; ``message`` says why, for the person who gave it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Column:
    """A column the caller reads: its key in ``TableRow.values``, the label used in messages, other header names."""

    key: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False

    def names(self) -> set[str]:
        return {header_key(n) for n in (self.key, self.label, *self.aliases)}


@dataclass
class TableRow:
    """One row: the line it starts on (1 = the first line), its values by column key, the cells as read."""

    line: int
    values: dict[str, str]
    cells: list[str]
    #: non-empty cells in no column (beyond the positional columns of a list without a header)
    extra: list[str] = field(default_factory=list)


@dataclass
class Table:
    rows: list[TableRow]
    columns: list[str]  #: the keys matched, in the file's order
    has_header: bool
    encoding: str  #: "UTF-8", "UTF-8 with BOM", "Windows-1252", "XLSX" or "text" (pasted)
    separator: str | None  #: None for a workbook

    @property
    def separator_name(self) -> str:
        return SEPARATOR_NAMES.get(self.separator or "", "workbook")


def header_key(name: str) -> str:
    """A header name compared loosely: case, punctuation and spacing ignored (``Contact e-mail`` is ``email``)."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", name.casefold().replace("e-mail", "email")).split())


def read_table(
    data: bytes | str,
    columns: Sequence[Column],
    *,
    filename: str | None = None,
    header: str = "optional",
    max_rows: int = 2000,
    max_bytes: int = 10 * 1024 * 1024,
    unknown_columns: str = "refuse",
    noun: str = "list",
) -> Table:
    """Read ``data`` (bytes of an upload, or pasted text) into a Table of rows matched to ``columns``.

    ``header``: "optional" (a first row that names known columns and holds no email address is the
    header; otherwise the columns are taken in ``columns``' order) or "required". ``unknown_columns``:
    "refuse" or "ignore". Raises TableRefused for an empty, over-large, unreadable or wrongly headed input.
    """
    size = len(data.encode("utf-8") if isinstance(data, str) else data)
    if size > max_bytes:
        raise TableRefused(f"The {noun} is {_megabytes(size)}; the largest accepted is {_megabytes(max_bytes)}.")
    try:
        if isinstance(data, bytes) and looks_like_xlsx(data, filename):
            records, encoding, separator = list(xlsx_rows(data)), "XLSX", None
        else:
            if isinstance(data, bytes):
                text, encoding = decode_text(data)
            else:
                text, encoding = data, "text"
                if "\x00" in text:
                    raise DecodeRefused("The file is not a CSV text file or an XLSX workbook.")
            separator = detect_separator(text)
            records = list(_csv_records(text, separator))
    except DecodeRefused as exc:
        raise TableRefused(str(exc)) from None
    except csv.Error as exc:
        raise TableRefused(f"The {noun} could not be read as CSV: {exc}.") from None
    records = [(line, cells) for line, cells in records if any(c.strip() for c in cells)]
    if not records:
        raise TableRefused(f"The {noun} is empty.")
    first_line, first = records[0]
    if separator and len(first) == 1:
        # A header typed with commas above rows pasted from a spreadsheet (tabs): split it by its own separator.
        first = _resplit(first[0], separator, columns)
        records[0] = (first_line, first)
    mapping = _match_header(first, columns)
    has_header = mapping is not None
    if has_header:
        _check_header(first, mapping, columns, unknown_columns)
        records = records[1:]
        if not records:
            raise TableRefused(f"The {noun} has a header but no rows.")
    elif header == "required":
        raise TableRefused(f"The first row must name the columns, for example: {', '.join(c.label for c in columns)}.")
    else:
        mapping = {i: c.key for i, c in enumerate(columns)}
    if len(records) > max_rows:
        raise TableRefused(f"The {noun} has {len(records):,} rows; at most {max_rows:,} are read at a time.")
    rows = [_row(line, cells, mapping, columns) for line, cells in records]
    matched = [mapping[i] for i in sorted(mapping)] if has_header else [c.key for c in columns]
    return Table(rows, matched, has_header, encoding, separator)


def detect_separator(text: str) -> str:
    """The separator that splits the most rows (after the first) into the same number of cells; ties go to tab."""
    best, best_score = ",", -1
    sample = text[:65536]
    for separator in SEPARATORS:
        if separator not in sample:
            continue
        try:
            counts = [len(cells) for _line, cells in _csv_records(sample, separator) if any(cells)]
        except csv.Error:
            continue
        body = counts[1:] or counts
        common = Counter(n for n in body if n > 1).most_common(1)
        score = common[0][1] if common else 0
        if score > best_score:
            best, best_score = separator, score
    return best


def _csv_records(text: str, separator: str) -> Iterable[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, quotechar='"', strict=False)
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def _resplit(cell: str, separator: str, columns: Sequence[Column]) -> list[str]:
    for other in SEPARATORS:
        if other != separator and other in cell:
            cells = next(csv.reader([cell], delimiter=other))
            if _match_header(cells, columns) is not None:
                return cells
    return [cell]


def _match_header(cells: list[str], columns: Sequence[Column]) -> dict[int, str] | None:
    """{cell index: column key} when the row is a header (it names a column and holds no address), else None."""
    if any("@" in c for c in cells):
        return None
    mapping = {}
    for index, cell in enumerate(cells):
        key = header_key(cell)
        for column in columns:
            if key and key in column.names():
                mapping[index] = column.key
                break
    return mapping or None


def _check_header(cells: list[str], mapping: dict[int, str], columns: Sequence[Column], unknown: str) -> None:
    seen: dict[str, str] = {}
    for index, key in mapping.items():
        if key in seen:
            raise TableRefused(
                f"The columns ‘{seen[key]}’ and ‘{cells[index].strip()}’ both give the {_label(key, columns)}."
            )
        seen[key] = cells[index].strip()
    strays = [c.strip() for i, c in enumerate(cells) if i not in mapping and c.strip()]
    if strays and unknown == "refuse":
        names = ", ".join(f"‘{s}’" for s in strays)
        raise TableRefused(
            f"The column{'s' if len(strays) > 1 else ''} {names} {'are' if len(strays) > 1 else 'is'} not read here. "
            f"The columns are: {', '.join(c.label for c in columns)}."
        )
    missing = [c.label for c in columns if c.required and c.key not in seen]
    if missing:
        found = ", ".join(f"‘{c.strip()}’" for c in cells if c.strip())
        raise TableRefused(f"There is no ‘{missing[0]}’ column (the columns found are {found}).")


def _label(key: str, columns: Sequence[Column]) -> str:
    return next(c.label for c in columns if c.key == key)


def _row(line: int, cells: list[str], mapping: dict[int, str], columns: Sequence[Column]) -> TableRow:
    values = {c.key: "" for c in columns}
    extra = []
    for index, cell in enumerate(cells):
        if index in mapping:
            values[mapping[index]] = cell.strip()
        elif cell.strip():
            extra.append(cell.strip())
    return TableRow(line, values, list(cells), extra)


def offer_back(rows: Iterable[TableRow], separator: str | None = ",", header: Sequence[str] | None = None) -> str:
    """Rows written back as text in their own separator, quoted where needed, for correcting and pasting again."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator or ",", lineterminator="\n")
    if header:
        writer.writerow(header)
    for row in rows:
        writer.writerow(row.cells)
    return out.getvalue()


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
