"""Importing a member's grants from a CSV or XLSX table (app.imports reads it): every row is checked first, and
the grants are recorded only if every row passes, so an import is never half saved.

Raises ValidationFailed on ``file`` (the whole input cannot be read), ImportRefused (per-row problems), and what
``grants.create_grant`` raises.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.imports import Column, TableRefused, read_table
from app.models import Bid, Grant, User
from app.money import MoneyError, parse_pounds
from app.regions import REGIONS
from app.services import audit, audit_kinds, grants
from app.services.errors import ValidationFailed
from app.services.grant_values import validate_grant

__all__ = ["COLUMNS", "ImportRefused", "RowProblem", "TableRefused", "import_grants", "read_rows"]

MAX_ROWS = 2000
COLUMNS = [
    Column(
        "recipient_name", "recipient", ("recipient name", "recipient org name", "recipient organisation"), required=True
    ),
    Column("recipient_charity_number", "charity number", ("recipient charity number", "recipient org charity number")),
    Column("recipient_company_number", "company number", ("recipient company number", "recipient org company number")),
    Column("recipient_identifier", "org-id", ("recipient identifier", "identifier", "org id")),
    Column("amount", "amount", ("amount awarded", "amount granted", "amount £"), required=True),
    Column("funder_amount", "funder money", ("funder amount", "from the funder", "funder")),
    Column("award_date", "award date", ("date awarded", "awarded"), required=True),
    Column("title", "title", ("grant title",), required=True),
    Column("description", "description", ("purpose",), required=True),
    Column("planned_start", "planned start", ("start date", "planned dates start date")),
    Column("planned_end", "planned end", ("end date", "planned dates end date")),
    Column("location_name", "local authority", ("beneficiary location name", "location")),
    Column("location_gss", "gss code", ("beneficiary location geographic code", "geographic code")),
    Column("region", "region", ()),
]
LABELS = {c.key: c.label for c in COLUMNS}
_REGION_BY_NAME = {name.casefold(): code for code, name in REGIONS.items()}


class ImportRefused(ValidationFailed):
    """One or more rows are wrong: ``problems`` says which line, which column and why. Nothing was saved."""

    type_slug = "import-refused"
    title = "The import is refused"

    def __init__(self, problems: list[RowProblem]):
        super().__init__(
            {f"line {p.line}": [f"{p.column}: {m}" for m in p.messages] for p in problems},
            f"{len(problems):,} row{'s' if len(problems) != 1 else ''} cannot be imported; nothing was saved.",
        )
        self.problems = problems


@dataclass
class RowProblem:
    line: int
    column: str
    messages: list[str]


def read_rows(data: bytes | str, *, filename: str | None = None) -> list[tuple[int, dict[str, Any] | None, list]]:
    """Each row's line, its grant values (None when it has problems) and its problems."""
    table = read_table(
        data,
        COLUMNS,
        filename=filename,
        header="required",
        max_rows=MAX_ROWS,
        unknown_columns="ignore",
        noun="table of grants",
    )
    out = []
    for row in table.rows:
        problems: list[RowProblem] = []
        values = _values(row.line, row.values, problems)
        if not problems:
            try:
                values = validate_grant(values)
            except ValidationFailed as exc:
                problems.extend(RowProblem(row.line, LABELS.get(_column(k), k), m) for k, m in exc.errors.items())
        out.append((row.line, None if problems else values, problems))
    return out


def import_grants(actor: User, bid: Bid, data: bytes | str, *, filename: str | None = None) -> list[Grant]:
    """Record every row as a grant of the actor's organisation, or none (ImportRefused lists each bad row)."""
    grants.require_open_delivery(bid)
    try:
        rows = read_rows(data, filename=filename)
    except TableRefused as exc:
        raise ValidationFailed({"file": [exc.message]}, exc.message) from None
    problems = [p for _line, _values, found in rows for p in found]
    if problems:
        raise ImportRefused(problems)
    made = [grants.create_grant(actor, bid, values) for _line, values, _found in rows]
    audit.record("grants.imported", actor=actor, bid=bid, after={"grants": len(made), "file": filename or "pasted"})
    return made


def _column(key: str) -> str:
    return {"amount_pence": "amount", "funder_pence": "funder_amount", "match_pence": "funder_amount"}.get(key, key)


def _values(line: int, cells: dict[str, str], problems: list[RowProblem]) -> dict[str, Any]:
    """The cells as the grant's values: pounds to pence, ISO dates, a region's code or name."""

    def text(key: str) -> str | None:
        return (cells.get(key) or "").strip() or None

    values: dict[str, Any] = {
        k: text(k)
        for k in (
            "recipient_name",
            "recipient_charity_number",
            "recipient_company_number",
            "recipient_identifier",
            "title",
            "description",
            "location_name",
            "location_gss",
        )
    }
    values["location_name"] = values["location_name"] or ""
    for key, target, required in (("amount", "amount_pence", True), ("funder_amount", "funder_pence", False)):
        raw = text(key)
        if raw is None:
            values[target] = None
            if required:
                problems.append(RowProblem(line, LABELS[key], ["Enter the amount in pounds, e.g. 5000 or £5,000."]))
            continue
        try:
            values[target] = parse_pounds(raw, allow_zero=not required)
        except MoneyError as exc:
            problems.append(RowProblem(line, LABELS[key], [str(exc)]))
    for key in ("award_date", "planned_start", "planned_end"):
        raw = text(key)
        values[key] = None
        if raw is None:
            continue
        with contextlib.suppress(ValueError):
            values[key] = date.fromisoformat(raw) if len(raw) == 10 and raw[4] == "-" else None
        if values[key] is None:
            problems.append(
                RowProblem(
                    line,
                    LABELS[key],
                    [f"Write the date year-month-day, e.g. 2027-01-15 (not {raw}: day or month first is a guess)."],
                )
            )
    region = text("region")
    values["region"] = _REGION_BY_NAME.get(region.casefold(), region.upper()) if region else None
    values["match_pence"] = None
    return values


audit_kinds.declare(
    "grants.imported",
    lambda e: f"{e.actor} imported {e.after.get('grants', 0):,} grants from {e.after.get('file') or 'a file'}.",
    title="Grants imported",
)
