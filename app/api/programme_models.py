"""Response bodies of the impact returns API, as Pydantic models (the OpenAPI description's components)."""

from __future__ import annotations

from typing import Literal

from app.api.fields import ResponseBody
from app.api.responses import When


class MeasureOut(ResponseBody):
    code: str
    label: str
    help: str
    unit: Literal["count", "pence", "fte"]
    kind: Literal["flow", "stock"]
    required: bool


class ProgrammeOut(ResponseBody):
    id: int
    title: str
    description: str
    first_period: str
    due_days: int
    lock_days: int
    reminder_plan: list[int]
    sector_homes: int | None
    measure_set_version: int
    measures: list[MeasureOut]
    organisation_ids: list[int] | None
    version: int
    created_at: When


class SkippedOut(ResponseBody):
    name: str
    reason: str


class ProgrammeCreated(ProgrammeOut):
    skipped: list[SkippedOut]


class ProgrammeList(ResponseBody):
    items: list[ProgrammeOut]


class PeriodOut(ResponseBody):
    period: str
    due_at: When
    lock_at: When | None
    measure_set_version: int
    status: Literal["not started", "draft", "submitted", "queried", "accepted", "locked", "late"] | None


class Periods(ResponseBody):
    items: list[PeriodOut]


class ReturnOut(ResponseBody):
    period: str
    status: Literal["not started", "draft", "submitted", "queried", "accepted"]
    values: dict[str, int | None]
    comments: dict[str, str]
    story: str
    story_shareable: bool
    late: bool
    submitted_at: When | None
    query_note: str | None
    measure_set_version: int
    version: int


class MeasureTotal(ResponseBody):
    code: str
    label: str
    unit: Literal["count", "pence", "fte"]
    kind: Literal["flow", "stock"]
    total: int | None
    contributors: int
    previous_total: int | None
    change: int | None
    change_pct: float | None
    like_for_like_change: int | None
    like_for_like_contributors: int | None
    running_total: int | None
    suppressed: bool


class Totals(ResponseBody):
    period: str
    measure_set_version: int
    expected: int
    received: int
    on_time: int
    late: int
    missing: int
    missing_organisations: list[int] | None
    homes_covered: int | None
    share_of_sector: float | None
    measures: list[MeasureTotal]


class Series(ResponseBody):
    items: list[Totals]
