"""A body's directory, or a filtered part of it, as CSV and XLSX: one row per organisation, safe to open."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from app.exports.tabular import pounds_text, safe_text

HEADER = [
    "organisation",
    "identifier",
    "homes",
    "regions",
    "website",
    "tags",
    "contact name",
    "email",
    "job title",
    "bids invited to",
    "pledged (£)",
]


def _values(row) -> list:
    contact = row.primary
    profile = row.entry.profile()
    return [
        safe_text(row.name),
        safe_text(row.identifier),
        row.homes if row.homes is not None else "",
        safe_text("; ".join(row.regions)),
        safe_text(profile["website"]),
        safe_text("; ".join(row.tags)),
        safe_text(contact.name if contact else ""),
        safe_text(contact.email if contact else ""),
        safe_text(contact.job_title if contact else ""),
        row.bids,
        pounds_text(row.pledged_pence),
    ]


def directory_csv(rows) -> bytes:
    """UTF-8 with a BOM (so Excel reads the accents), CRLF lines, every text cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(_values(row))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def directory_xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Directory"
    sheet.append([h.capitalize() for h in HEADER])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        values = _values(row)
        values[-1] = row.pledged_pence / 100
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text is never a formula, whatever it starts with
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
