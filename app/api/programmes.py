"""Impact returns programmes: list, create, read and change (convenors), periods, a member's return (read and
put, with If-Match), totals, the month-on-month series and the returns spreadsheet.

Members see totals with small numbers suppressed (fewer than 3 contributors), never another organisation's."""

from __future__ import annotations

from typing import Annotated

from app.api.auth import caller
from app.api.blueprint import bp
from app.api.fields import Body, Text, body_config, field, one_of
from app.api.helpers import ID, if_match, ok
from app.api.operations import Reply, describe, reply
from app.api.programme_models import Periods, ProgrammeCreated, ProgrammeList, ProgrammeOut, ReturnOut, Series, Totals
from app.api.validation import read_body
from app.exports import returns_xlsx
from app.extensions import db
from app.infra import clock
from app.models import Period, Programme
from app.services.errors import NotFound, PermissionDenied, require
from app.services.returns import periods, programmes, totals
from app.services.returns import returns as service
from app.web.downloads import TYPES, send_private


class MeasureBody(Body, total=False):
    __pydantic_config__ = body_config("code", "label", "unit", "kind")

    code: Annotated[Text, field("1 to 16 of A–Z, 0–9 and _.", max_length=16)]
    label: Annotated[Text, field("What is counted.", max_length=200)]
    help: Annotated[Text, field("Help shown beside the field.", max_length=500)]
    unit: Annotated[one_of("count", "pence", "fte"), field("count, pence, or fte (tenths).")]
    kind: Annotated[one_of("flow", "stock"), field("flow adds up over months; stock is a month-end level.")]
    required: Annotated[bool, field("Whether a return must give it (or say why not).")]
    unit_value_pence: Annotated[int | None, field("The convenor's own licensed social value per unit, in pence.")]
    unit_value_source: Annotated[Text | None, field("Where the unit value comes from.", max_length=200)]


class ProgrammeBody(Body, total=False):
    __pydantic_config__ = body_config("title", "measures", "first_period")

    title: Annotated[Text, field("The programme's title.", max_length=200)]
    description: Annotated[Text, field("What it is for.", max_length=5000)]
    measures: Annotated[list[MeasureBody], field("The measures.", max_items=40)]
    first_period: Annotated[Text, field("YYYY-MM, or a combined range YYYY-MM..YYYY-MM.", max_length=20)]
    due_days: Annotated[int, field("Days after a period ends that returns are due.", minimum=0, maximum=365)]
    lock_days: Annotated[int, field("Days after a period ends that returns lock; 0 = never.", minimum=0)]
    reminder_plan: Annotated[list[int], field("Days from the due date to remind (negative: before).", max_items=10)]
    sector_homes: Annotated[int | None, field("The sector's total homes, for the coverage share.")]
    organisation_ids: Annotated[list[int], field("The organisations taking part (or give tag).", max_items=5000)]
    tag: Annotated[Text, field("Take part: every organisation with this directory tag.", max_length=100)]


class ProgrammePatch(Body, total=False):
    __pydantic_config__ = body_config()

    title: Annotated[Text, field("The programme's title.", max_length=200)]
    description: Annotated[Text, field("What it is for.", max_length=5000)]
    measures: Annotated[list[MeasureBody], field("A new measure set (a new version once returns use it).")]
    due_days: Annotated[int, field("Days after a period ends that returns are due.")]
    lock_days: Annotated[int, field("Days after a period ends that returns lock; 0 = never.")]
    reminder_plan: Annotated[list[int], field("Days from the due date to remind.", max_items=10)]
    sector_homes: Annotated[int | None, field("The sector's total homes.")]


class ReturnBody(Body, total=False):
    __pydantic_config__ = body_config("values")

    values: Annotated[dict[str, int | None], field("Measure code → whole number in its unit, or null (not collected).")]
    comments: Annotated[dict[str, Text], field("Measure code → comment (needed for a required measure not collected).")]
    story: Annotated[Text, field("What changed this month, in your words.", max_length=5000)]
    submit: Annotated[bool, field("true submits (or amends); false saves a draft.")]
    confirm: Annotated[bool, field("true confirms figures far outside the organisation's history.")]
    story_shareable: Annotated[bool, field("true lets the convenor quote the story in the summary report.")]


XLSX = Reply("The spreadsheet.", content={TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}}})


def _programme(p: Programme) -> dict:
    user = caller()
    return {
        "id": p.id,
        "title": p.title,
        "description": p.description,
        "first_period": p.first_period,
        "due_days": p.due_days,
        "lock_days": p.lock_days,
        "reminder_plan": list(p.reminder_plan or []),
        "sector_homes": p.sector_homes,
        "measure_set_version": p.current_set.version,
        "measures": [m.as_dict() for m in p.current_set.measures],
        "organisation_ids": [o.id for o in programmes.participants(p)] if programmes.is_convenor(user, p) else None,
        "version": p.version,
        "created_at": p.created_at.isoformat(),
    }


@bp.get("/programmes")
@describe(
    "listProgrammes",
    "Programmes: the body's (convenors) or those the organisation takes part in.",
    tag="programmes",
    replies={200: reply(ProgrammeList, "The programmes, newest first.")},
)
def list_programmes():
    return ok({"items": [_programme(p) for p in programmes.visible(caller())]})


@bp.post("/programmes")
@describe(
    "createProgramme",
    "Set up a programme (convenors).",
    tag="programmes",
    body=ProgrammeBody,
    replies={
        201: reply(
            ProgrammeCreated, "The programme; skipped: directory entries left out, and why.", etag=True, location=True
        )
    },
    errors=(403,),
)
def create_programme():
    values = read_body()
    if not caller().is_convenor:
        raise PermissionDenied("Only convenors can create programmes.")
    ids = values.pop("organisation_ids", None)
    tag = values.pop("tag", None)
    if ids is not None and tag is not None:
        require({"tag": ["Give organisation_ids or tag, not both."]})
    if ids is None and tag is None:
        require({"organisation_ids": ["Give organisation_ids or a directory tag."]})
    p, choice = programmes.create_from_directory(caller(), values, organisation_ids=ids, tag=tag)
    db.session.flush()
    body = _programme(p) | {"skipped": [{"name": n, "reason": r} for n, r in choice.skipped]}
    return ok(body, 201, etag=p.version, location=f"/api/v1/programmes/{p.id}")


@bp.get(f"/programmes/<{ID}:programme_id>")
@describe(
    "getProgramme",
    "A programme (its convenors and the organisations taking part).",
    tag="programmes",
    replies={200: reply(ProgrammeOut, "The programme.", etag=True)},
    errors=(404,),
)
def get_programme(programme_id: int):
    p = programmes.get_for_viewer(caller(), programme_id)
    return ok(_programme(p), etag=p.version)


@bp.patch(f"/programmes/<{ID}:programme_id>")
@describe(
    "updateProgramme",
    "Change a programme (convenors). Measures a return uses make a new set version.",
    tag="programmes",
    body=ProgrammePatch,
    replies={200: reply(ProgrammeOut, "The programme.", etag=True)},
    errors=(403, 404, 409),
    headers=("if_match",),
)
def update_programme(programme_id: int):
    p = programmes.get_for_convenor(caller(), programme_id)
    expected = if_match()
    values = read_body()
    programmes.update_programme(caller(), p, values, expected_version=expected)
    db.session.flush()
    return ok(_programme(p), etag=p.version)


@bp.get(f"/programmes/<{ID}:programme_id>/periods")
@describe(
    "listPeriods",
    "Every period from the first to the last ended month, oldest first.",
    tag="programmes",
    replies={200: reply(Periods, "The periods.")},
    errors=(404,),
)
def list_periods(programme_id: int):
    p = programmes.get_for_viewer(caller(), programme_id)
    user, now = caller(), clock.now()
    mine = service.returns_for(p, user.organisation_id) if programmes.is_participant(user, p) else None
    items = []
    for period in p.periods:
        item = {
            "period": period.key,
            "due_at": period.due_at.isoformat(),
            "lock_at": period.lock_at.isoformat() if period.lock_at else None,
            "measure_set_version": period.measure_set.version,
            "status": None,
        }
        if mine is not None:
            item["status"] = service.status_for(period, mine.get(period.id), user.organisation_id, now)
        items.append(item)
    return ok({"items": items})


def _member_period(programme_id: int, key: str) -> tuple[Programme, Period]:
    p = programmes.get_for_viewer(caller(), programme_id)
    if not programmes.is_participant(caller(), p):
        raise PermissionDenied("Convenors do not make returns; the organisations taking part do.")
    period = periods.find_period(p, key)
    if period is None:
        raise NotFound("No such period.")
    return p, period


def _return(period: Period, ret) -> dict:
    return {
        "period": period.key,
        "status": str(ret.status) if ret else "not started",
        "values": dict(ret.values) if ret else {},
        "comments": dict(ret.comments) if ret else {},
        "story": ret.story if ret else "",
        "story_shareable": bool(ret and ret.story_shareable),
        "late": bool(ret and ret.late),
        "submitted_at": ret.submitted_at.isoformat() if ret and ret.submitted_at else None,
        "query_note": ret.query_note if ret else None,
        "measure_set_version": ret.measure_set.version if ret else period.measure_set.version,
        "version": ret.version if ret else 0,
    }


@bp.get(f"/programmes/<{ID}:programme_id>/periods/<period>/return")
@describe(
    "getReturn",
    "The organisation's return for a period (members).",
    tag="programmes",
    replies={200: reply(ReturnOut, "The return (version 0 when not started).", etag=True)},
    errors=(403, 404),
)
def get_return(programme_id: int, period: str):
    _p, found = _member_period(programme_id, period)
    ret = service.current_return(found, caller().organisation_id)
    return ok(_return(found, ret), etag=ret.version if ret else 0)


@bp.put(f"/programmes/<{ID}:programme_id>/periods/<period>/return")
@describe(
    "putReturn",
    "Save a draft or submit the organisation's return (members). If-Match with the ETag "
    "makes a stale write a 409; a locked period is a 409 too.",
    tag="programmes",
    body=ReturnBody,
    replies={200: reply(ReturnOut, "The return as saved.", etag=True)},
    errors=(403, 404, 409),
    headers=("if_match",),
)
def put_return(programme_id: int, period: str):
    p, found = _member_period(programme_id, period)
    expected = if_match()
    body = read_body()
    ret = service.save_return(
        caller(),
        p,
        found,
        body.get("values"),
        body.get("comments"),
        body.get("story", ""),
        submit=bool(body.get("submit", False)),
        expected_version=expected,
        confirm=bool(body.get("confirm", False)),
        story_shareable=body.get("story_shareable"),
    )
    db.session.flush()
    return ok(_return(found, ret), etag=ret.version)


def _rows(p: Programme) -> list[dict]:
    rows = totals.series(p)
    return rows if programmes.is_convenor(caller(), p) else totals.for_members(rows)


def _json_row(row: dict) -> dict:
    return {
        **{
            k: row[k]
            for k in (
                "period",
                "measure_set_version",
                "expected",
                "received",
                "on_time",
                "late",
                "missing",
                "missing_organisations",
                "homes_covered",
                "share_of_sector",
            )
        },
        "measures": [
            {
                k: cell[k]
                for k in (
                    "code",
                    "label",
                    "unit",
                    "kind",
                    "total",
                    "contributors",
                    "previous_total",
                    "change",
                    "change_pct",
                    "like_for_like_change",
                    "like_for_like_contributors",
                    "running_total",
                    "suppressed",
                )
            }
            for cell in row["measures"].values()
        ],
    }


@bp.get(f"/programmes/<{ID}:programme_id>/periods/<period>/totals")
@describe(
    "getPeriodTotals",
    "A period's totals per measure and its completeness (members: small numbers suppressed).",
    tag="programmes",
    replies={200: reply(Totals, "The totals.")},
    errors=(404,),
)
def period_totals(programme_id: int, period: str):
    p = programmes.get_for_viewer(caller(), programme_id)
    row = next((r for r in _rows(p) if r["period"] == period), None)
    if row is None:
        raise NotFound("No such period.")
    return ok(_json_row(row))


@bp.get(f"/programmes/<{ID}:programme_id>/series")
@describe(
    "getSeries",
    "Month-on-month totals per measure, oldest first (members: small numbers suppressed).",
    tag="programmes",
    replies={200: reply(Series, "The series.")},
    errors=(404,),
)
def series(programme_id: int):
    p = programmes.get_for_viewer(caller(), programme_id)
    return ok({"items": [_json_row(r) for r in _rows(p)]})


@bp.get(f"/programmes/<{ID}:programme_id>/returns.xlsx")
@describe(
    "downloadReturns",
    "Every organisation's figures, one sheet per measure, with totals (convenors).",
    tag="programmes",
    replies={200: XLSX},
    errors=(403, 404),
)
def returns_spreadsheet(programme_id: int):
    p = programmes.get_for_convenor(caller(), programme_id)
    loaded = totals.load(p)
    measures = [m.as_dict() for m in p.current_set.measures]
    content = returns_xlsx.build(p.title, measures, totals.per_organisation(p, loaded), totals.series(p, loaded))
    return send_private(content, f"programme-{p.id}-returns.xlsx", "xlsx")
