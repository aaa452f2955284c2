"""Totals: per period and measure the total, contributors, change from the period before (number and %),
like-for-like change (only organisations with a figure in both), running totals for flows (never stocks), homes
covered, and completeness (expected, received, on time, late, missing).

A fixed number of queries whatever the number of organisations or periods. ``for_members`` suppresses every
figure built from fewer than ``MIN_CONTRIBUTORS`` organisations (and anything that would let one be worked out).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    COUNTED,
    ImpactReturn,
    Measure,
    MeasureKind,
    MeasureSet,
    Organisation,
    Period,
    Programme,
)
from app.services.returns import aggregates

MIN_CONTRIBUTORS = 3


@dataclass
class Loaded:
    periods: list[Period]
    measures: dict[int, list[Measure]]  #: measure set id → its measures
    set_versions: dict[int, int]
    #: period id → org id → the counted return's row (period_id, organisation_id, values, late, status); only
    #: read by ``per_organisation`` (the spreadsheet), never by the totals
    returns: dict[int, dict[int, sa.Row]] = field(default_factory=dict)


def load(programme: Programme, *, with_returns: bool = False) -> Loaded:
    periods = list(
        db.session.scalars(sa.select(Period).where(Period.programme_id == programme.id).order_by(Period.start_month))
    )
    sets = list(db.session.scalars(sa.select(MeasureSet).where(MeasureSet.programme_id == programme.id)))
    measures: dict[int, list[Measure]] = {s.id: [] for s in sets}
    for m in db.session.scalars(
        sa.select(Measure).where(Measure.measure_set_id.in_([s.id for s in sets])).order_by(Measure.position)
    ):
        measures[m.measure_set_id].append(m)
    loaded = Loaded(periods, measures, {s.id: s.version for s in sets})
    if with_returns:
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


def _scaled(total: int, homes: int, sector_homes: int | None, contributors: int) -> int | None:
    if not sector_homes or not homes or not contributors or homes >= sector_homes:
        return None
    return round(total * sector_homes / homes)


def series(programme: Programme, loaded: Loaded | None = None, *, medians: bool = False) -> list[dict]:
    """Every period's figures, oldest first (convenor's view: nothing suppressed). The sums, counts, pairs and
    (``medians=True``: only the member's page shows them) medians come from the database (``aggregates``): a
    fixed number of statements and no loop over returns."""
    loaded = loaded or load(programme)
    codes = list(dict.fromkeys(m.code for ms in loaded.measures.values() for m in ms))
    figures = aggregates.per_period(programme.id, codes)
    pairs = aggregates.like_for_like(programme.id, codes)
    absent = aggregates.missing(programme.id)
    middle = aggregates.medians(programme.id, codes) if medians else {}
    out: list[dict] = []
    running: dict[str, int] = {}
    previous_totals: dict[str, dict] = {}
    for n, period in enumerate(loaded.periods):
        got = figures.get(period.id, {"received": 0, "late": 0, "homes": 0, "codes": {}})
        lost = absent.get(period.id, [])
        row = {
            "period": period.key,
            "measure_set_version": loaded.set_versions[period.measure_set_id],
            "due_at": period.due_at,
            "lock_at": period.lock_at,
            "expected": got["received"] + len(lost),
            "received": got["received"],
            "on_time": got["received"] - got["late"],
            "late": got["late"],
            "missing": len(lost),
            "missing_organisations": lost,
            "homes_covered": got["homes"],
            "share_of_sector": None,
            "measures": {},
        }
        if programme.sector_homes:
            row["share_of_sector"] = round(row["homes_covered"] * 100 / programme.sector_homes, 1)
        paired = pairs.get(period.id, {})
        for m in loaded.measures[period.measure_set_id]:
            total, contributors = got["codes"].get(m.code, (0, 0))
            before = previous_totals.get(m.code)
            prev_total = before["total"] if before else None
            lfl = lfl_base = lfl_n = None
            if before:
                now_sum, lfl_base, lfl_n = paired.get(m.code, (0, 0, 0)) if n else (0, 0, 0)
                lfl = now_sum - lfl_base
            if m.kind == MeasureKind.FLOW:
                running[m.code] = running.get(m.code, 0) + total
            cell = {
                "code": m.code,
                "label": m.label,
                "unit": str(m.unit),
                "kind": str(m.kind),
                "total": total,
                "contributors": contributors,
                "previous_total": prev_total,
                "previous_contributors": before["contributors"] if before else None,
                "change": total - prev_total if prev_total is not None else None,
                "change_pct": _pct(total - prev_total, prev_total) if prev_total is not None else None,
                "like_for_like_change": lfl,
                "like_for_like_pct": _pct(lfl, lfl_base),
                "like_for_like_contributors": lfl_n,
                "running_total": running[m.code] if m.kind == MeasureKind.FLOW else None,
                "running_min_contributors": None,
                "median": middle.get((period.id, m.code)),
                "social_value_pence": total * m.unit_value_pence if m.unit_value_pence is not None else None,
                "social_value_source": m.unit_value_source,
                #: scaled up to the whole sector by homes (only when the convenor entered the sector's homes):
                #: an estimate, and always shown as one
                "sector_estimate": _scaled(total, got["homes"], programme.sector_homes, contributors),
                "suppressed": False,
            }
            if m.kind == MeasureKind.FLOW:
                floor = before.get("running_min_contributors") if before else None
                cell["running_min_contributors"] = contributors if floor is None else min(floor, contributors)
            row["measures"][m.code] = cell
            previous_totals[m.code] = cell
        out.append(row)
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
                cell.update(total=None, median=None, social_value_pence=None, sector_estimate=None, suppressed=True)
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
    if loaded is None or not loaded.returns:
        loaded = load(programme, with_returns=True)
    ids = {o for got in loaded.returns.values() for o in got}
    names = dict(
        db.session.execute(sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))).all()
    )
    rows = []
    for period in loaded.periods:
        for org_id, ret in sorted(loaded.returns.get(period.id, {}).items(), key=lambda kv: names.get(kv[0], "")):
            rows.append(
                {
                    "period": period.key,
                    "organisation": names.get(org_id, ""),
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
