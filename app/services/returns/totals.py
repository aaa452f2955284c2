"""Totals: per period and measure the total, contributors, change from the period before (number and %),
like-for-like change (only organisations with a figure in both), running totals for flows (never stocks), homes
covered, and completeness (expected, received, on time, late, missing).

A fixed number of queries whatever the number of organisations or periods. ``for_members`` suppresses every
figure built from fewer than ``MIN_CONTRIBUTORS`` organisations (and anything that would let one be worked out).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    COUNTED,
    ImpactReturn,
    Measure,
    MeasureKind,
    MeasureSet,
    Organisation,
    Participant,
    Period,
    Programme,
)

MIN_CONTRIBUTORS = 3


@dataclass
class Loaded:
    periods: list[Period]
    measures: dict[int, list[Measure]]  #: measure set id → its measures
    set_versions: dict[int, int]
    homes: dict[int, int]  #: participant organisation id → homes owned
    names: dict[int, str]
    #: period id → org id → the counted return's row (period_id, organisation_id, values, late, status)
    returns: dict[int, dict[int, sa.Row]] = field(default_factory=dict)


def load(programme: Programme) -> Loaded:
    periods = list(
        db.session.scalars(sa.select(Period).where(Period.programme_id == programme.id).order_by(Period.start_month))
    )
    sets = list(db.session.scalars(sa.select(MeasureSet).where(MeasureSet.programme_id == programme.id)))
    measures: dict[int, list[Measure]] = {s.id: [] for s in sets}
    for m in db.session.scalars(
        sa.select(Measure).where(Measure.measure_set_id.in_([s.id for s in sets])).order_by(Measure.position)
    ):
        measures[m.measure_set_id].append(m)
    people = db.session.execute(
        sa.select(Organisation.id, Organisation.name, Organisation.homes_owned)
        .join(Participant, Participant.organisation_id == Organisation.id)
        .where(Participant.programme_id == programme.id)
    ).all()
    loaded = Loaded(
        periods,
        measures,
        {s.id: s.version for s in sets},
        {i: h or 0 for i, _, h in people},
        {i: n for i, n, _ in people},
    )
    # Plain rows, not ORM objects: at 2,000 organisations × 24 periods building objects is most of the time.
    query = sa.select(
        ImpactReturn.period_id,
        ImpactReturn.organisation_id,
        ImpactReturn.values,
        ImpactReturn.late,
        ImpactReturn.status,
    ).where(ImpactReturn.programme_id == programme.id, ImpactReturn.status.in_(COUNTED))
    for ret in db.session.execute(query):
        loaded.returns.setdefault(ret.period_id, {})[ret.organisation_id] = ret
    return loaded


def _pct(change: int | None, base: int | None) -> float | None:
    if change is None or not base:
        return None
    return round(change * 100 / base, 1)


def series(programme: Programme, loaded: Loaded | None = None) -> list[dict]:
    """Every period's figures, oldest first (convenor's view: nothing suppressed)."""
    loaded = loaded or load(programme)
    out: list[dict] = []
    running: dict[str, int] = {}
    previous: dict[str, dict[int, int]] = {}  #: the period before: code → organisation → figure
    previous_totals: dict[str, dict] = {}
    expected = len(loaded.homes)
    for period in loaded.periods:
        got = loaded.returns.get(period.id, {})
        late = sum(1 for r in got.values() if r.late)
        row = {
            "period": period.key,
            "measure_set_version": loaded.set_versions[period.measure_set_id],
            "due_at": period.due_at,
            "lock_at": period.lock_at,
            "expected": expected,
            "received": len(got),
            "on_time": len(got) - late,
            "late": late,
            "missing": expected - len(got),
            "missing_organisations": sorted(i for i in loaded.homes if i not in got),
            "homes_covered": sum(loaded.homes.get(i, 0) for i in got),
            "share_of_sector": None,
            "measures": {},
        }
        if programme.sector_homes:
            row["share_of_sector"] = round(row["homes_covered"] * 100 / programme.sector_homes, 1)
        # every figure of the period by code, in one pass over its returns ("not collected" is left out)
        by_code: dict[str, dict[int, int]] = {}
        for o, r in got.items():
            for code, value in r.values.items():
                if type(value) is int:
                    by_code.setdefault(code, {})[o] = value
        for m in loaded.measures[period.measure_set_id]:
            figures = by_code.get(m.code, {})
            total = sum(figures.values())
            before = previous_totals.get(m.code)
            prev_total = before["total"] if before else None
            earlier = previous.get(m.code, {})
            both = [o for o in figures if o in earlier]
            lfl_base = sum(earlier[o] for o in both) if before else None
            lfl = sum(figures[o] for o in both) - lfl_base if before else None
            if m.kind == MeasureKind.FLOW:
                running[m.code] = running.get(m.code, 0) + total
            cell = {
                "code": m.code,
                "label": m.label,
                "unit": str(m.unit),
                "kind": str(m.kind),
                "total": total,
                "contributors": len(figures),
                "previous_total": prev_total,
                "previous_contributors": before["contributors"] if before else None,
                "change": total - prev_total if prev_total is not None else None,
                "change_pct": _pct(total - prev_total, prev_total) if prev_total is not None else None,
                "like_for_like_change": lfl,
                "like_for_like_pct": _pct(lfl, lfl_base),
                "like_for_like_contributors": len(both) if before else None,
                "running_total": running[m.code] if m.kind == MeasureKind.FLOW else None,
                "running_min_contributors": None,
                "median": median(figures.values()) if figures else None,
                "social_value_pence": total * m.unit_value_pence if m.unit_value_pence is not None else None,
                "social_value_source": m.unit_value_source,
                "suppressed": False,
            }
            if m.kind == MeasureKind.FLOW:
                floor = (
                    before["running_min_contributors"]
                    if before and before.get("running_min_contributors") is not None
                    else None
                )
                cell["running_min_contributors"] = len(figures) if floor is None else min(floor, len(figures))
            row["measures"][m.code] = cell
            previous_totals[m.code] = cell
        out.append(row)
        previous = by_code
    return out


def for_members(rows: list[dict]) -> list[dict]:
    """The same figures with small numbers suppressed: a total from fewer than 3 organisations, a change or
    like-for-like change touching one, a running total that includes one, and every organisation's identity."""
    safe = []
    for row in rows:
        row = {**row, "missing_organisations": None, "measures": dict(row["measures"])}
        if row["received"] < MIN_CONTRIBUTORS:  # the homes of one or two organisations would name them
            row.update(homes_covered=None, share_of_sector=None)
        for code, cell in row["measures"].items():
            cell = dict(cell)
            small = cell["contributors"] < MIN_CONTRIBUTORS
            prev_small = cell["previous_contributors"] is not None and cell["previous_contributors"] < MIN_CONTRIBUTORS
            if small:
                cell.update(total=None, median=None, social_value_pence=None, suppressed=True)
            if small or prev_small:
                cell.update(change=None, change_pct=None)
            if prev_small:
                cell["previous_total"] = None
            lfl_n = cell["like_for_like_contributors"]
            if lfl_n is not None and lfl_n < MIN_CONTRIBUTORS:
                cell.update(like_for_like_change=None, like_for_like_pct=None)
            run_n = cell["running_min_contributors"]
            if run_n is not None and run_n < MIN_CONTRIBUTORS:
                cell["running_total"] = None
            row["measures"][code] = cell
        safe.append(row)
    return safe


def period_totals(programme: Programme, key: str, *, members: bool) -> dict | None:
    rows = series(programme)
    rows = for_members(rows) if members else rows
    return next((r for r in rows if r["period"] == key), None)


def per_organisation(programme: Programme, loaded: Loaded | None = None) -> list[dict]:
    """One row per organisation and period (convenor's spreadsheet)."""
    loaded = loaded or load(programme)
    rows = []
    for period in loaded.periods:
        for org_id, ret in sorted(
            loaded.returns.get(period.id, {}).items(), key=lambda kv: loaded.names.get(kv[0], "")
        ):
            rows.append(
                {
                    "period": period.key,
                    "organisation": loaded.names.get(org_id, ""),
                    "late": ret.late,
                    "status": str(ret.status),
                    "values": dict(ret.values),
                }
            )
    return rows


def shared_stories(programme: Programme, keys: list[str]) -> list[tuple[str, str, str]]:
    """(organisation, period, story) of counted returns in those periods whose organisation lets it be quoted."""
    rows = db.session.execute(
        sa.select(Organisation.name, Period.key, ImpactReturn.story)
        .join(ImpactReturn, ImpactReturn.organisation_id == Organisation.id)
        .join(Period, Period.id == ImpactReturn.period_id)
        .where(
            ImpactReturn.programme_id == programme.id,
            ImpactReturn.status.in_(COUNTED),
            ImpactReturn.story_shareable.is_(True),
            ImpactReturn.story != "",
            Period.key.in_(keys),
        )
        .order_by(Period.start_month.desc(), Organisation.name)
    ).all()
    return [(name, key, story) for name, key, story in rows]
