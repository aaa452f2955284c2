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


def _epoch_seconds(column):
    if db.session.get_bind().dialect.name == "sqlite":
        return sa.cast(sa.func.strftime("%s", column), sa.BigInteger)
    return sa.cast(sa.func.floor(sa.extract("epoch", column)), sa.BigInteger)


def _step(bid: Bid, now: datetime) -> int:
    span = max((now - bid.created_at).total_seconds(), 1)
    return next((s for s in _STEPS if span / s <= MAX_POINTS), _STEPS[-1])


def pledged_series(bid: Bid, *, max_points: int = MAX_POINTS) -> list[Point]:
    """The live total and the number of organisations with a live pledge after each change, oldest first (two
    queries, read from one covering index; at most ``max_points`` rows, or one per bucket of a long bid,
    whatever the number of members)."""
    revision = PledgeRevision
    of_bid = revision.bid_id == bid.id
    count = db.session.scalar(sa.select(sa.func.count()).select_from(revision).where(of_bid))
    if count <= max_points:  # every change its own point
        ordered = {"order_by": (revision.created_at, revision.id)}
        rows = db.session.execute(
            sa.select(
                revision.created_at,
                sa.func.sum(revision.amount_change_pence).over(**ordered),
                sa.func.sum(revision.members_change).over(**ordered),
            )
            .where(of_bid)
            .order_by(revision.created_at, revision.id)
        )
    else:  # the changes summed per time bucket, then the running total after each bucket
        bucket = _epoch_seconds(revision.created_at) // _step(bid, clock.now())
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
        ordered = {"order_by": buckets.c.at}
        rows = db.session.execute(
            sa.select(
                buckets.c.at,
                sa.func.sum(buckets.c.amount).over(**ordered),
                sa.func.sum(buckets.c.members).over(**ordered),
            ).order_by(buckets.c.at)
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
    """The live total as it stood at ``moment``: the sum of every change up to then, in one query."""
    return int(
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(PledgeRevision.amount_change_pence), 0)).where(
                PledgeRevision.bid_id == bid.id, PledgeRevision.created_at <= moment
            )
        )
    )
