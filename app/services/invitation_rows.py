"""Reading a pasted list or an uploaded CSV of ``organisation name, contact email`` into invitation rows.

Raises ValidationFailed (field ``file``) when the whole input is unusable.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from app.models import Invitation
from app.services.errors import ValidationFailed

MAX_ROWS = 2000


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


@dataclass
class InviteReport:
    accepted: list[InviteRow] = field(default_factory=list)
    refused: list[InviteRow] = field(default_factory=list)


def parse_rows(data: bytes | str) -> list[tuple[int, str, str]]:
    """Read ``organisation name, contact email`` rows from pasted text or an uploaded CSV file.

    A header row is optional. Raises ValidationFailed (field ``file``) when the whole input is unusable.
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed(
                {
                    "file": [
                        "The file is not UTF-8 text. In your spreadsheet choose ‘Save as CSV UTF-8’ and upload that."
                    ]
                }
            ) from None
    else:
        text = data
    if "\x00" in text:
        raise ValidationFailed({"file": ["The file is not a CSV text file."]})
    if not text.strip():
        raise ValidationFailed({"file": ["The list is empty. Give one organisation name and email per line."]})
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [r for r in csv.reader(io.StringIO(text), dialect) if any(cell.strip() for cell in r)]
    # A header names the columns; a first row holding an address is data, whatever its words.
    if rows and any("email" in cell.lower() for cell in rows[0]) and not any("@" in cell for cell in rows[0]):
        header = [c.strip().lower() for c in rows[0]]
        if len(header) != 2 or "email" not in header[1]:
            raise ValidationFailed({"file": ["The columns must be ‘organisation name, contact email’, in that order."]})
        rows = rows[1:]
        offset = 2
    else:
        offset = 1
    if not rows:
        raise ValidationFailed({"file": ["The list has a header but no rows."]})
    if len(rows) > MAX_ROWS:
        raise ValidationFailed({"file": [f"The list has {len(rows):,} rows; invite at most {MAX_ROWS:,} at a time."]})
    if all(len(r) != 2 for r in rows):
        raise ValidationFailed(
            {
                "file": [
                    "Each line needs two values: the organisation name, then the contact email, separated by a comma."
                ]
            }
        )
    parsed = []
    for index, row in enumerate(rows):
        cells = [c.strip() for c in row] + ["", ""]
        extra = [c for c in row[2:] if c.strip()]
        parsed.append((index + offset, cells[0], cells[1] if not extra else "\x00extra"))
    return parsed
