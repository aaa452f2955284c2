"""The SQL behind the totals: every sum, count, like-for-like pair, missing organisation and median is worked out
by the database, per period, so the cost does not grow with Python loops over every return and figure.

Each function is one statement, whatever the number of organisations, periods or measures. A figure is the
integer under the measure's code in a return's ``values`` (JSON); "not collected" (JSON null) is SQL NULL and so
left out of every sum, count and median.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import COUNTED, ImpactReturn, Organisation, Participant, Period


def figure(table, code: str):
    """The integer figure under ``code`` in ``table.values`` (NULL when not collected or absent)."""
    return sa.cast(table.values[code].as_string(), sa.BigInteger)


def expected_at(due: datetime | sa.ColumnElement):
    """Participants expected to make a return for a period due at ``due``: chosen at set-up or added before the
    period was due, and not removed before it was due."""
    return sa.and_(
        sa.or_(Participant.expected_from.is_(None), Participant.expected_from <= due),
        sa.or_(Participant.removed_at.is_(None), Participant.removed_at > due),
    )


def figures(programme_id: int, codes: list[str]):
    """The counted returns with each code's figure pulled out of the JSON once (``f0``, ``f1``, … in the order
    of ``codes``): a materialised CTE, so the sums, pairs and rankings below read integers, not JSON."""
    return (
        sa.select(
            ImpactReturn.period_id.label("period_id"),
            ImpactReturn.organisation_id.label("organisation_id"),
            ImpactReturn.late.label("late"),
            *[figure(ImpactReturn, code).label(f"f{n}") for n, code in enumerate(codes)],
        )
        .where(ImpactReturn.programme_id == programme_id, ImpactReturn.status.in_(COUNTED))
        .cte("figures")
        .prefix_with("MATERIALIZED")
    )


def per_period(programme_id: int, codes: list[str]) -> dict[int, dict]:
    """period id → received, late, homes covered, and per code the total and the number of contributors."""
    f = figures(programme_id, codes)
    columns = [
        f.c.period_id,
        sa.func.count().label("received"),
        sa.func.sum(sa.case((f.c.late.is_(True), 1), else_=0)).label("late"),
        sa.func.sum(sa.func.coalesce(Organisation.homes_owned, 0)).label("homes"),
    ]
    for n in range(len(codes)):
        columns += [sa.func.sum(f.c[f"f{n}"]).label(f"s{n}"), sa.func.count(f.c[f"f{n}"]).label(f"c{n}")]
    query = sa.select(*columns).join(Organisation, Organisation.id == f.c.organisation_id).group_by(f.c.period_id)
    out = {}
    for row in db.session.execute(query):
        out[row.period_id] = {
            "received": row.received,
            "late": int(row.late or 0),
            "homes": int(row.homes or 0),
            "codes": {code: (int(getattr(row, f"s{n}") or 0), getattr(row, f"c{n}")) for n, code in enumerate(codes)},
        }
    return out


def like_for_like(programme_id: int, codes: list[str]) -> dict[int, dict[str, tuple[int, int, int]]]:
    """period id → code → (this period's sum, the period before's sum, organisations), over the organisations
    with a figure for the code in both this period and the one immediately before it."""
    order = (
        sa.select(Period.id.label("id"), sa.func.lag(Period.id).over(order_by=Period.start_month).label("prev"))
        .where(Period.programme_id == programme_id)
        .subquery()
    )
    # Each organisation's returns in period order, with its figures of the return before (one window sort, no
    # self-join); a pair counts only when that return is of the period immediately before.
    f = figures(programme_id, codes)
    window = {"partition_by": f.c.organisation_id, "order_by": Period.start_month}
    paired = (
        sa.select(
            f.c.period_id,
            sa.func.lag(f.c.period_id).over(**window).label("prev"),
            *[f.c[f"f{n}"].label(f"a{n}") for n in range(len(codes))],
            *[sa.func.lag(f.c[f"f{n}"]).over(**window).label(f"b{n}") for n in range(len(codes))],
        )
        .join(Period, Period.id == f.c.period_id)
        .subquery()
    )
    columns = [paired.c.period_id]
    for n in range(len(codes)):
        a, b = paired.c[f"a{n}"], paired.c[f"b{n}"]
        both = sa.and_(a.is_not(None), b.is_not(None))
        columns += [
            sa.func.sum(sa.case((both, a))).label(f"a{n}"),
            sa.func.sum(sa.case((both, b))).label(f"b{n}"),
            sa.func.count(sa.case((both, 1))).label(f"n{n}"),
        ]
    query = (
        sa.select(*columns)
        .join(order, sa.and_(order.c.id == paired.c.period_id, order.c.prev == paired.c.prev))
        .group_by(paired.c.period_id)
    )
    out: dict[int, dict[str, tuple[int, int, int]]] = {}
    for row in db.session.execute(query):
        out[row.period_id] = {
            code: (int(getattr(row, f"a{n}") or 0), int(getattr(row, f"b{n}") or 0), getattr(row, f"n{n}"))
            for n, code in enumerate(codes)
        }
    return out


def missing(programme_id: int) -> dict[int, list[int]]:
    """period id → the organisations expected for it (see ``expected_at``) without a counted return, by id."""
    counted = aliased(ImpactReturn)
    query = (
        sa.select(Period.id, Participant.organisation_id)
        .join(Participant, Participant.programme_id == Period.programme_id)
        .outerjoin(
            counted,
            sa.and_(
                counted.period_id == Period.id,
                counted.organisation_id == Participant.organisation_id,
                counted.status.in_(COUNTED),
            ),
        )
        .where(Period.programme_id == programme_id, expected_at(Period.due_at), counted.id.is_(None))
        .order_by(Period.id, Participant.organisation_id)
    )
    out: dict[int, list[int]] = defaultdict(list)
    for period_id, org_id in db.session.execute(query):
        out[period_id].append(org_id)
    return out


def medians(programme_id: int, codes: list[str]) -> dict[tuple[int, str], float | int]:
    """(period id, code) → the middle organisation's figure (the mean of the middle two when even), found by the
    database ranking each period's figures: only the one or two middle figures come back."""
    f = figures(programme_id, codes)
    parts = []
    for n, code in enumerate(codes):
        value = f.c[f"f{n}"]
        ranked = (
            sa.select(
                f.c.period_id.label("pid"),
                value.label("v"),
                sa.func.row_number().over(partition_by=f.c.period_id, order_by=value).label("rn"),
                sa.func.count().over(partition_by=f.c.period_id).label("n"),
            )
            .where(value.is_not(None))
            .subquery()
        )
        parts.append(
            sa.select(sa.literal(code).label("code"), ranked.c.pid, ranked.c.v).where(
                sa.or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)
            )
        )
    if not parts:
        return {}
    middle: dict[tuple[int, str], list[int]] = defaultdict(list)
    for code, period_id, value in db.session.execute(sa.union_all(*parts)):
        middle[(period_id, code)].append(int(value))
    return {key: (vs[0] if len(vs) == 1 else (vs[0] + vs[1]) / 2) for key, vs in middle.items()}
