"""A programme's returns as XLSX: one sheet per measure (one row per organisation and period, then the period
totals), and a completeness sheet. Data in, bytes out; text cells never start a formula."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from app.exports.tabular import safe_text


def build(title: str, measures: list[dict], rows: list[dict], series: list[dict]) -> bytes:
    """``measures``: code, label, unit, kind; ``rows``: period, organisation, status, late, values; ``series``:
    the totals service's periods (convenor's view)."""
    wb = Workbook()
    summary = wb.active
    summary.title = "Completeness"
    summary.append([safe_text(title)])
    summary["A1"].font = Font(bold=True)
    summary.append(["Period", "Expected", "Received", "On time", "Late", "Missing", "Homes covered"])
    for r in series:
        summary.append(
            [r["period"], r["expected"], r["received"], r["on_time"], r["late"], r["missing"], r["homes_covered"]]
        )
    for m in measures:
        ws = wb.create_sheet(m["code"][:31])
        unit = {"pence": "pence", "fte": "tenths of FTE"}.get(m["unit"], "count")
        ws.append([safe_text(m["label"]), f"unit: {unit}", f"kind: {m['kind']}"])
        ws["A1"].font = Font(bold=True)
        ws.append(["Period", "Organisation", "Status", "Late", "Value"])
        for row in rows:
            if m["code"] in row["values"]:
                ws.append(
                    [
                        row["period"],
                        safe_text(row["organisation"]),
                        row["status"],
                        "yes" if row["late"] else "",
                        row["values"][m["code"]],
                    ]
                )
        ws.append([])
        ws.append(["Period", "Total", "Contributors", "Running total"])
        for r in series:
            cell = r["measures"].get(m["code"])
            if cell:
                ws.append([r["period"], cell["total"], cell["contributors"], cell["running_total"]])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
