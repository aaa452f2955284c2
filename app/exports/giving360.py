"""360Giving files from grants already in the standard's JSON shape: data in, bytes out.

CSV (UTF-8, one row per grant, a header row of the standard's column titles), XLSX (a ``grants`` sheet with the
same columns and a ``Meta`` sheet) and the JSON package. Values are written as they are: published data must
say exactly what the JSON says, so no cell is altered; XLSX cells are typed as text so none runs as a formula.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell


def _first(key: str, field: str) -> Callable[[dict], Any]:
    return lambda grant: (grant.get(key) or [{}])[0].get(field)


#: Column title → how to read it from a grant. The order is the order of the columns.
COLUMNS: dict[str, Callable[[dict], Any]] = {
    "Identifier": lambda g: g["id"],
    "Title": lambda g: g["title"],
    "Description": lambda g: g["description"],
    "Currency": lambda g: g["currency"],
    "Amount Awarded": lambda g: g["amountAwarded"],
    "Award Date": lambda g: g["awardDate"],
    "Planned Dates:Start Date": _first("plannedDates", "startDate"),
    "Planned Dates:End Date": _first("plannedDates", "endDate"),
    "Recipient Org:Identifier": _first("recipientOrganization", "id"),
    "Recipient Org:Name": _first("recipientOrganization", "name"),
    "Recipient Org:Charity Number": _first("recipientOrganization", "charityNumber"),
    "Recipient Org:Company Number": _first("recipientOrganization", "companyNumber"),
    "Beneficiary Location:Name": _first("beneficiaryLocation", "name"),
    "Beneficiary Location:Country Code": _first("beneficiaryLocation", "countryCode"),
    "Beneficiary Location:Geographic Code": _first("beneficiaryLocation", "geoCode"),
    "Beneficiary Location:Geographic Code Type": _first("beneficiaryLocation", "geoCodeType"),
    "Funding Org:Identifier": _first("fundingOrganization", "id"),
    "Funding Org:Name": _first("fundingOrganization", "name"),
    "Grant Programme:Code": _first("grantProgramme", "code"),
    "Grant Programme:Title": _first("grantProgramme", "title"),
    "From An Open Call?": lambda g: g.get("fromOpenCall"),
    "Last Modified": lambda g: g.get("dateModified"),
    "Data Source": lambda g: g.get("dataSource"),
}
TITLES = tuple(COLUMNS)


def cell_text(value: Any) -> str:
    """A value as the CSV writes it: amounts with two decimal places (pounds and pence), blanks empty."""
    if value is None:
        return ""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{value:.2f}"
    return str(value)


def rows(grants: list[dict]) -> list[list[Any]]:
    return [[read(grant) for read in COLUMNS.values()] for grant in grants]


def to_csv(grants: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TITLES)
    for row in rows(grants):
        writer.writerow([cell_text(v) for v in row])
    return out.getvalue().encode("utf-8")


def to_json(package: dict) -> bytes:
    return json.dumps(package, ensure_ascii=False, indent=1).encode("utf-8")


def to_xlsx(grants: list[dict], meta: list[tuple[str, str]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("grants")
    sheet.append(list(TITLES))
    for row in rows(grants):
        sheet.append([_cell(sheet, v) if isinstance(v, str) and v.startswith("=") else v for v in row])
    info = book.create_sheet("Meta")
    for key, value in meta:
        info.append([_cell(info, key), _cell(info, value)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(sheet, value: Any) -> WriteOnlyCell:
    """A text cell typed as text: openpyxl would otherwise store text starting with ``=`` as a formula."""
    cell = WriteOnlyCell(sheet, value=None if value is None else str(value))
    if value is not None:
        cell.data_type = "s"  # text, even when it starts with "=": never a formula
    return cell
