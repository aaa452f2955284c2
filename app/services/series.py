"""Pledged over time, as SQL aggregates: the running total after each pledge change (window functions over the
revision log), at most ``MAX_POINTS`` points whatever the number of members, and the exact total at any moment.

Each revision's change to the total is its live amount minus the same pledge's previous one (``LAG``); the
running total is their ``SUM() OVER`` in commit order. Up to ``MAX_POINTS`` revisions every one is a point, as
the log has it. Beyond that the points are the total at the end of each time bucket of ``_step`` seconds,
which always divides an hour, so every UK day and every whole hour ends on a bucket boundary: the charts'
daily table reads exact figures from them. The projection's starting figure, which falls anywhere, is read
with ``pledged_at`` instead. Raises nothing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.infra import clock
from app.models import Bid, PledgeRevision
from app.models.pledge import LIVE_STATUSES

#: More revisions than this and the series is bucketed by time (a chart 524 pixels wide shows no more).
MAX_POINTS = 400
_STEPS = (60, 300, 900, 1800, 3600)  # seconds; each divides an hour


@dataclass
class Point:
    at: datetime
    pledged_pence: int
    members: int


def _live_amount():
    """The pledge's live amount after a revision (0 when withdrawn or not live), from the revision's JSON."""
    after = PledgeRevision.after
    live = after["status"].as_string().in_([str(s) for s in LIVE_STATUSES])
    return sa.case((live, sa.func.coalesce(after["amount_pence"].as_integer(), 0)), else_=0)


def _epoch_seconds(column, dialect: str):
    if dialect == "sqlite":
        return sa.cast(sa.func.strftime("%s", column), sa.BigInteger)
    return sa.cast(sa.func.floor(sa.extract("epoch", column)), sa.BigInteger)


def _step(bid: Bid, now: datetime) -> int:
    span = max((now - bid.created_at).total_seconds(), 1)
    return next((s for s in _STEPS if span / s <= MAX_POINTS), _STEPS[-1])


def pledged_series(bid: Bid, *, max_points: int = MAX_POINTS) -> list[Point]:
    """The live total and the number of organisations with a live pledge after each change, oldest first (one
    query; at most ``max_points`` rows, or one per bucket of a long bid, whatever the number of members)."""
    rows = db.session.execute(
        _series_query(db.session.get_bind().dialect.name),
        {"bid_id": bid.id, "max_points": max_points, "step": _step(bid, clock.now())},
    )
    points: list[Point] = []
    for at, total, members in rows:
        point = Point(at, int(total or 0), int(members or 0))
        if points and points[-1].at == at:  # changes committed at the same moment make one point
            points[-1] = point
        else:
            points.append(point)
    return points


def pledged_at(bid: Bid, moment: datetime) -> int:
    """The live total as it stood at ``moment`` (the last revision of each pledge up to then), in one query."""
    return int(db.session.scalar(_total_at_query(), {"bid_id": bid.id, "moment": moment}))


# The statements are built once (per SQL dialect) with their values as parameters: SQLAlchemy then keeps their
# cache keys, which it would otherwise work out again over the whole window-function tree on every call.


@functools.cache
def _series_query(dialect: str) -> sa.Select:
    revision = PledgeRevision
    rev = (
        sa.select(revision.id, revision.pledge_id, revision.created_at, _live_amount().label("amount"))
        .where(revision.bid_id == sa.bindparam("bid_id"))
        .subquery()
    )
    member = sa.case((rev.c.amount != 0, 1), else_=0)
    per_pledge = {"partition_by": rev.c.pledge_id, "order_by": (rev.c.created_at, rev.c.id)}
    deltas = sa.select(
        rev.c.id,
        rev.c.created_at,
        (rev.c.amount - sa.func.lag(rev.c.amount, 1, 0).over(**per_pledge)).label("d_amount"),
        (member - sa.func.lag(member, 1, 0).over(**per_pledge)).label("d_members"),
    ).subquery()
    ordered = {"order_by": (deltas.c.created_at, deltas.c.id)}
    running = sa.select(
        deltas.c.id,
        deltas.c.created_at,
        sa.func.sum(deltas.c.d_amount).over(**ordered).label("total"),
        sa.func.sum(deltas.c.d_members).over(**ordered).label("members"),
        sa.func.row_number().over(**ordered).label("n"),
        sa.func.count().over().label("count"),
        _epoch_seconds(deltas.c.created_at, dialect).label("epoch"),
    ).subquery()
    key = sa.case(
        (running.c.count <= sa.bindparam("max_points"), running.c.n),
        else_=running.c.epoch // sa.bindparam("step", type_=sa.BigInteger),
    )
    ranked = sa.select(
        running.c.created_at,
        running.c.total,
        running.c.members,
        running.c.n,
        sa.func.row_number()
        .over(partition_by=key, order_by=(running.c.created_at.desc(), running.c.id.desc()))
        .label("last"),
    ).subquery()
    last = sa.select(ranked.c.created_at, ranked.c.total, ranked.c.members).where(ranked.c.last == 1)
    return last.order_by(ranked.c.n)


@functools.cache
def _total_at_query() -> sa.Select:
    latest = sa.func.row_number().over(
        partition_by=PledgeRevision.pledge_id, order_by=(PledgeRevision.created_at.desc(), PledgeRevision.id.desc())
    )
    last = (
        sa.select(_live_amount().label("amount"), latest.label("n"))
        .where(
            PledgeRevision.bid_id == sa.bindparam("bid_id"),
            PledgeRevision.created_at <= sa.bindparam("moment", type_=PledgeRevision.created_at.type),
        )
        .subquery()
    )
    return sa.select(sa.func.coalesce(sa.func.sum(last.c.amount), 0)).where(last.c.n == 1)
