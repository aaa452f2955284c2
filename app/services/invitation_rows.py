"""Reading a pasted list or an uploaded CSV or XLSX file of ``organisation name, contact email`` into rows.

Reads through ``app.imports`` (encodings, separator per paste, quoting, headers by name). Raises
ValidationFailed (field ``file``) when the whole input is unusable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from app.imports import Column, TableRefused, read_table
from app.imports.reader import TableRow, offer_back
from app.models import Invitation
from app.services.errors import ValidationFailed

MAX_ROWS = 2000

COLUMNS = [
    Column("organisation_name", "organisation name", ("organisation", "name", "organisation", "org name"), True),
    Column("email", "contact email", ("email", "email address", "contact email address", "contact"), True),
]


@dataclass
class InviteRow:
    """One row of a bulk invitation: its line number, values, and the result."""

    line: int
    organisation_name: str
    email: str
    invitation: Invitation | None = None
    reason: str | None = None
    field: str = "organisation_name"  #: the field the reason is about
    possible_match: str | None = None  #: an existing organisation the name matches or looks like, unconfirmed
    note: str | None = None  #: e.g. the same organisation as an earlier line, with another address
    #: the row as it was given (every cell, in its separator, quoted where needed), to offer back when refused
    source: str | None = None


@dataclass
class InviteReport:
    accepted: list[InviteRow] = field(default_factory=list)
    refused: list[InviteRow] = field(default_factory=list)

    def refused_text(self) -> str:
        """The refused rows, each whole as given, ready to correct and paste again."""
        return "\n".join(r.source or offer_back_cells([r.organisation_name, r.email]) for r in self.refused)


class _Fields(NamedTuple):
    line: int
    organisation_name: str
    email: str


class Row(_Fields):
    """One line of the list: (line number, organisation name, contact email), compared as that tuple.

    ``too_many_values`` is set on a line that held more than two values; invite_many refuses it with the reason.
    ``source`` is the line as given, offered back whole if the row is refused.
    """

    too_many_values: bool = False
    source: str | None = None


def offer_back_cells(cells: list[str], separator: str | None = ",") -> str:
    """One row's cells as a line of text in ``separator``, quoted where needed."""
    return offer_back([TableRow(0, {}, cells)], separator).rstrip("\n")


def parse_rows(data: bytes | str, filename: str | None = None) -> list[Row]:
    """Read ``organisation name, contact email`` rows from pasted text or an uploaded CSV or XLSX file.

    A header row is optional (its columns may come in either order). Raises ValidationFailed (field ``file``)
    when the whole input is unusable.
    """
    try:
        table = read_table(data, COLUMNS, filename=filename, max_rows=MAX_ROWS)
    except TableRefused as exc:
        message = exc.message
        if message == "The list is empty.":
            message = "The list is empty. Give one organisation name and email per line."
        raise ValidationFailed({"file": [message]}) from None
    if not table.has_header and all(len(r.cells) != 2 for r in table.rows):
        raise ValidationFailed(
            {
                "file": [
                    "Each line needs two values: the organisation name, then the contact email, separated by a comma."
                ]
            }
        )
    parsed = []
    for table_row in table.rows:
        row = Row(table_row.line, table_row.values["organisation_name"], table_row.values["email"])
        row.too_many_values = bool(table_row.extra)
        row.source = offer_back_cells(table_row.cells, table.separator)
        parsed.append(row)
    return parsed
