"""The pledges as CSV and XLSX: one row per member plus a totals row, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from app.pdf.data import PackData, PackMember
from app.pdf.figures import region_rows, sorted_members
from app.text import iso_utc, london_date, london_datetime

#: (CSV header, XLSX header, XLSX column width), in column order.
COLUMNS = [
    ("organisation", "Organisation", 42),
    ("identifier", "Identifier", 16),
    ("regions", "Regions", 34),
    ("homes", "Homes covered", 14),
    ("amount_gbp", "Amount (£)", 16),
    ("amount_pence", "Amount (pence)", 16),
    ("status", "Status", 12),
    ("statement", "Statement of use", 60),
    ("letter_filename", "Letter file", 28),
    ("letter_sha256", "Letter SHA-256", 66),
    ("in_grace", "In grace window", 10),
    ("pledged_at", "First pledged (UTC)", 20),
    ("updated_at", "Last changed (UTC)", 20),
]

# Control characters a spreadsheet cannot hold (XLSX refuses them outright), and lone surrogates.
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
#: A cell starting with one of these may be run as a formula by Excel, LibreOffice or Sheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CELL_LIMIT = 32_767
MONEY_FORMAT = '"£"#,##0.00'


def safe_text(value: object) -> str:
    """User text for a spreadsheet cell: unsafe characters removed, formula triggers neutralised.

    A leading ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a ``'`` in front so the cell
    is shown as text and never evaluated (CSV injection). Numbers we write ourselves are not passed
    through here.
    """
    if value is None:
        return ""
    text = _UNSAFE.sub("", str(value))
    if text.startswith(FORMULA_TRIGGERS):
        text = "'" + text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def pounds_text(pence: int) -> str:
    """Integer pence as a plain decimal string of pounds: ``250000.00``."""
    sign = "-" if pence < 0 else ""
    whole, rem = divmod(abs(pence), 100)
    return f"{sign}{whole}.{rem:02d}"


def _status(member: PackMember) -> str:
    return "confirmed" if member.status == "confirmed" else "indicative"


def _text_fields(member: PackMember) -> dict[str, str]:
    return {
        "organisation": safe_text(member.organisation_name),
        "identifier": safe_text(member.identifier),
        "regions": safe_text("; ".join(member.regions)),
        "status": _status(member),
        "statement": safe_text(member.statement),
        "letter_filename": safe_text(member.letter_filename),
        "letter_sha256": safe_text(member.letter_sha256),
        "in_grace": "yes" if member.in_grace else "no",
    }


def build_csv(data: PackData) -> bytes:
    """UTF-8 CSV with a byte order mark (so Excel reads the £ and accents), members largest first, then totals."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([key for key, _label, _width in COLUMNS])
    for member in sorted_members(data):
        row = _text_fields(member) | {
            "homes": str(member.homes),
            "amount_gbp": pounds_text(member.amount_pence),
            "amount_pence": str(member.amount_pence),
            "pledged_at": iso_utc(member.pledged_at),
            "updated_at": iso_utc(member.updated_at),
        }
        writer.writerow([row[key] for key, _label, _width in COLUMNS])
    totals = _totals(data)
    writer.writerow(
        [
            {
                "organisation": "Total",
                "homes": str(data.total_homes),
                "amount_gbp": pounds_text(data.total_pence),
                "amount_pence": str(data.total_pence),
                "status": totals,
            }.get(key, "")
            for key, _label, _width in COLUMNS
        ]
    )
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def _totals(data: PackData) -> str:
    confirmed = sum(1 for m in data.members if m.status == "confirmed")
    return f"{confirmed} confirmed, {len(data.members) - confirmed} indicative"


def _naive_utc(dt: datetime) -> datetime:
    # Excel has no time zones: store UTC wall time, and say so in the header.
    aware = dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(tzinfo=None)


HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1D3557")
BOLD = Font(bold=True)
TOTAL_BORDER = Border(top=Side(style="thin", color="1D3557"))


def _put_text(ws, row: int, col: int, value: str):
    cell = ws.cell(row=row, column=col)
    cell.value = value[:XLSX_CELL_LIMIT]
    cell.data_type = "s"  # never a formula or an error code (#N/A), whatever the text says
    return cell


def build_xlsx(data: PackData) -> bytes:
    """A workbook with "Pledges" (one row per member, totals as numbers), "Regions" and "Summary" sheets."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Pledges"
    for col, (_key, label, width) in enumerate(COLUMNS, start=1):
        cell = _put_text(ws, 1, col, label)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        ws.column_dimensions[get_column_letter(col)].width = width
    index = {key: col for col, (key, _label, _width) in enumerate(COLUMNS, start=1)}
    members = sorted_members(data)
    for row, member in enumerate(members, start=2):
        for key, value in _text_fields(member).items():
            _put_text(ws, row, index[key], value)
        ws.cell(row=row, column=index["homes"], value=member.homes)
        money = ws.cell(row=row, column=index["amount_gbp"], value=Decimal(member.amount_pence) / 100)
        money.number_format = MONEY_FORMAT
        ws.cell(row=row, column=index["amount_pence"], value=member.amount_pence)
        for key, dt in (("pledged_at", member.pledged_at), ("updated_at", member.updated_at)):
            ws.cell(row=row, column=index[key], value=_naive_utc(dt)).number_format = "yyyy-mm-dd hh:mm:ss"
    last = len(members) + 1
    total_row = last + 1
    # Totals are written as computed numbers, not SUM formulas: a reader that does not evaluate
    # formulas (or a funder's checker) sees the same figures as the PDF.
    _put_text(ws, total_row, index["organisation"], "Total")
    ws.cell(row=total_row, column=index["homes"], value=data.total_homes)
    ws.cell(
        row=total_row, column=index["amount_gbp"], value=Decimal(data.total_pence) / 100
    ).number_format = MONEY_FORMAT
    ws.cell(row=total_row, column=index["amount_pence"], value=data.total_pence)
    _put_text(ws, total_row, index["status"], _totals(data))
    for col in range(1, len(COLUMNS) + 1):
        cell = ws.cell(row=total_row, column=col)
        cell.font, cell.border = BOLD, TOTAL_BORDER
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{last}"
    _regions_sheet(wb, data)
    _summary_sheet(wb, data)
    stamp = _naive_utc(data.generated_at)
    wb.properties.created = wb.properties.modified = stamp
    wb.properties.title = safe_text(data.bid_title)[:255]
    wb.properties.creator = safe_text(data.convenor_name)[:255]
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _regions_sheet(wb: Workbook, data: PackData) -> None:
    ws = wb.create_sheet("Regions")
    for col, (label, width) in enumerate(
        [("Region", 28), ("Members", 10), ("Amount (£)", 16), ("Amount (pence)", 16), ("Homes covered", 14)], start=1
    ):
        cell = _put_text(ws, 1, col, label)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        ws.column_dimensions[get_column_letter(col)].width = width
    for row, region in enumerate(region_rows(data), start=2):
        _put_text(ws, row, 1, safe_text(region.name))
        ws.cell(row=row, column=2, value=region.members)
        ws.cell(row=row, column=3, value=Decimal(region.amount_pence) / 100).number_format = MONEY_FORMAT
        ws.cell(row=row, column=4, value=region.amount_pence)
        ws.cell(row=row, column=5, value=region.homes)
    ws.freeze_panes = "A2"


def _summary_sheet(wb: Workbook, data: PackData) -> None:
    ws = wb.create_sheet("Summary")
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 48
    ws.column_dimensions["C"].width = 20
    ws.column_dimensions["D"].width = 10
    confirmed = sum(1 for m in data.members if m.status == "confirmed")
    share = Decimal(data.total_pence) / Decimal(data.target_pence) if data.target_pence > 0 else None
    rows: list[tuple[str, object, str | None]] = [
        ("Bid", safe_text(data.bid_title), None),
        ("Scheme", safe_text(data.scheme), None),
        ("Funder", safe_text(data.funder_name), None),
        ("Convening body", safe_text(data.convenor_name), None),
        ("Version", data.version, None),
        ("Generated (UK time)", london_datetime(data.generated_at), None),
        ("Generated by", safe_text(data.generated_by), None),
        ("Deadline (UK time)", london_datetime(data.deadline), None),
        ("Target match funding (£)", Decimal(data.target_pence) / 100, MONEY_FORMAT),
        ("Match funding pledged (£)", Decimal(data.total_pence) / 100, MONEY_FORMAT),
        ("Match funding pledged (pence)", data.total_pence, None),
        ("Share of target", share, "0.0%"),
        ("Confirmed (£)", Decimal(data.confirmed_pence) / 100, MONEY_FORMAT),
        ("Indicative (£)", Decimal(data.indicative_pence) / 100, MONEY_FORMAT),
        ("Homes covered", data.total_homes, "#,##0"),
        ("Target homes", data.target_homes, "#,##0"),
        ("Member organisations", len(data.members), None),
        ("Confirmed members", confirmed, None),
        ("Indicative members", len(data.members) - confirmed, None),
        ("Letters of commitment uploaded", sum(1 for m in data.members if m.letter_sha256), None),
    ]
    if data.outcome:
        outcome = data.outcome
        rows.append(("Outcome", outcome.result.capitalize(), None))
        if outcome.amount_awarded_pence is not None:
            rows.append(("Amount awarded (£)", Decimal(outcome.amount_awarded_pence) / 100, MONEY_FORMAT))
        if outcome.award_date:
            rows.append(("Award date", london_date(outcome.award_date), None))
        if outcome.grant_reference:
            rows.append(("Funder's reference", safe_text(outcome.grant_reference), None))
        if outcome.spend_by:
            rows.append(("Spend by", london_date(outcome.spend_by), None))
        if outcome.reason and outcome.result != "won":
            rows.append(("Reason", safe_text(outcome.reason), None))
        if outcome.result != "won":
            rows.append(("Pledges", "Released: the members' money is no longer held for this bid", None))
    for row, (label, value, number_format) in enumerate(rows, start=1):
        _put_text(ws, row, 1, label).font = BOLD
        if isinstance(value, str):
            cell = _put_text(ws, row, 2, value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        else:
            cell = ws.cell(row=row, column=2, value=value if value is not None else "n/a")
            if number_format:
                cell.number_format = number_format
    if data.thresholds:
        row = len(rows) + 2
        for col, label in enumerate(["Threshold", "Required", "Actual", "Met"], start=1):
            cell = _put_text(ws, row, col, label)
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        for offset, t in enumerate(data.thresholds, start=1):
            for col, value in enumerate([t.label, t.required, t.actual, "yes" if t.met else "no"], start=1):
                _put_text(ws, row + offset, col, safe_text(value))
