"""Pledged over time, as SQL aggregates: the running total after each pledge change (window functions over the
revision log), at most ``MAX_POINTS`` points whatever the number of members, and the exact total at any moment.

Each revision records its change to the live total and to the number of organisations with a live pledge
(``PledgeRevision.amount_change_pence`` and ``members_change``, written with it); the running total is their
``SUM() OVER`` in commit order, read along the (bid, time) index without decoding any revision's JSON. Up to
``MAX_POINTS`` revisions every one is a point, as the log has it. Beyond that the changes are summed per time
bucket of ``_step`` seconds first, and the points are the total at the end of each bucket; the step always
divides an hour, so every UK day and every whole hour ends on a bucket boundary: the charts' daily table reads
exact figures from them. The projection's starting figure, which falls anywhere, is read with ``pledged_at``
instead. Raises nothing."""

from __future__ import annotations

import functools
import sqlite3
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.infra import clock
from app.models import Bid, PledgeRevision

#: More revisions than this and the series is bucketed by time (a chart 524 pixels wide shows no more).
MAX_POINTS = 400
_STEPS = (60, 300, 900, 1800, 3600)  # seconds; each divides an hour


@dataclass
class Point:
    at: datetime
    pledged_pence: int
    members: int


def _epoch_seconds(column, dialect: str):
    if dialect == "sqlite":
        if sqlite3.sqlite_version_info >= (3, 38):  # unixepoch() reads the stored text about twice as fast
            return sa.func.unixepoch(column)
        return sa.cast(sa.func.strftime("%s", column), sa.BigInteger)
    return sa.cast(sa.func.floor(sa.extract("epoch", column)), sa.BigInteger)


def _step(bid: Bid, now: datetime) -> int:
    span = max((now - bid.created_at).total_seconds(), 1)
    return next((s for s in _STEPS if span / s <= MAX_POINTS), _STEPS[-1])


def pledged_series(bid: Bid, *, max_points: int = MAX_POINTS) -> list[Point]:
    """The live total and the number of organisations with a live pledge after each change, oldest first (two
    queries, read from one covering index; at most ``max_points`` rows, or one per bucket of a long bid,
    whatever the number of members)."""
    statements = _statements(db.session.get_bind().dialect.name)
    count = db.session.scalar(statements.count, {"bid_id": bid.id})
    if count <= max_points:  # every change its own point
        rows = db.session.execute(statements.each, {"bid_id": bid.id})
    else:  # the changes summed per time bucket, then the running total after each bucket
        rows = db.session.execute(statements.bucketed, {"bid_id": bid.id, "step": _step(bid, clock.now())})
    points: list[Point] = []
    for at, total, members in rows:
        point = Point(at, int(total or 0), int(members or 0))
        if points and points[-1].at == at:  # changes committed at the same moment make one point
            points[-1] = point
        else:
            points.append(point)
    return points


def pledged_at(bid: Bid, moment: datetime) -> int:
    """The live total as it stood at ``moment``: the sum of every change up to then, in one query."""
    statements = _statements(db.session.get_bind().dialect.name)
    return int(db.session.scalar(statements.total_at, {"bid_id": bid.id, "moment": moment}))


@dataclass(frozen=True)
class _Statements:
    count: sa.Select
    each: sa.Select
    bucketed: sa.Select
    total_at: sa.Select


@functools.cache
def _statements(dialect: str) -> _Statements:
    """The series' statements, built once per SQL dialect with their values as parameters: SQLAlchemy then keeps
    their cache keys instead of working them out again over the window functions on every call."""
    revision = PledgeRevision
    of_bid = revision.bid_id == sa.bindparam("bid_id")
    ordered = {"order_by": (revision.created_at, revision.id)}
    each = (
        sa.select(
            revision.created_at,
            sa.func.sum(revision.amount_change_pence).over(**ordered),
            sa.func.sum(revision.members_change).over(**ordered),
        )
        .where(of_bid)
        .order_by(revision.created_at, revision.id)
    )
    bucket = _epoch_seconds(revision.created_at, dialect) // sa.bindparam("step", type_=sa.BigInteger)
    buckets = (
        sa.select(
            sa.func.max(revision.created_at).label("at"),
            sa.func.sum(revision.amount_change_pence).label("amount"),
            sa.func.sum(revision.members_change).label("members"),
        )
        .where(of_bid)
        .group_by(bucket)
        .subquery()
    )
    by_time = {"order_by": buckets.c.at}
    bucketed = sa.select(
        buckets.c.at,
        sa.func.sum(buckets.c.amount).over(**by_time),
        sa.func.sum(buckets.c.members).over(**by_time),
    ).order_by(buckets.c.at)
    total_at = sa.select(sa.func.coalesce(sa.func.sum(revision.amount_change_pence), 0)).where(
        of_bid, revision.created_at <= sa.bindparam("moment")
    )
    return _Statements(sa.select(sa.func.count()).select_from(revision).where(of_bid), each, bucketed, total_at)
