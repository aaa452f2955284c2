"""The pledged-over-time series and the regional split as SQL aggregates: the same figures as walking every
revision and every pledge in Python (the reference below), on both databases, and a bounded series."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.infra import clock
from app.models import PledgeRevision
from app.money import split_evenly
from app.regions import REGIONS
from app.services import series, totals
from tests.factories import BidFactory, member_of, pledge_for

CODES = list(REGIONS)


def reference_series(revisions) -> list[tuple]:
    """(at, total, members) after each change, same-moment changes merged: the old quadratic walk."""
    current: dict[int, int] = {}
    points: list[tuple] = []
    for pledge_id, at, after in revisions:
        live = after.get("status") in ("indicative", "confirmed")
        current[pledge_id] = int(after.get("amount_pence") or 0) if live else 0
        point = (at, sum(current.values()), sum(1 for v in current.values() if v))
        if points and points[-1][0] == at:
            points[-1] = point
        else:
            points.append(point)
    return points


def reference_at(revisions, moment) -> int:
    return next((total for at, total, _ in reversed(reference_series(revisions)) if at <= moment), 0)


@pytest.fixture
def history(ctx):
    """A bid of 12 pledges with 80 revisions over ten days: amendments, withdrawals, re-pledges, a revision
    without an amount and several at the same moment."""
    rng = random.Random(20)
    bid = BidFactory()
    bid.created_at = clock.now() - timedelta(days=11)
    pledges = [pledge_for(member_of(bid), bid) for _ in range(12)]
    db.session.execute(sa.delete(PledgeRevision).where(PledgeRevision.bid_id == bid.id))
    start = clock.now() - timedelta(days=10)
    moments = sorted(start + timedelta(minutes=rng.randrange(0, 14_000)) for _ in range(76))
    moments += [moments[40]] * 4  # changes committed at the same moment
    revisions, last = [], {}
    for n, at in enumerate(sorted(moments)):
        pledge = rng.choice(pledges)
        after = {"status": rng.choice(["indicative", "confirmed", "confirmed", "withdrawn"])}
        if n != 7:
            after["amount_pence"] = rng.randrange(0, 5) * 1_000_00 + rng.randrange(0, 100)
        db.session.add(
            PledgeRevision(
                pledge_id=pledge.id,
                bid_id=bid.id,
                organisation_id=pledge.organisation_id,
                version=n + 1,
                action="updated",
                actor_id=pledge.created_by_id,
                created_at=at,
                before=last.get(pledge.id),
                after=after,
            )
        )
        last[pledge.id] = after
        revisions.append((pledge.id, at, after))
    db.session.flush()
    yield bid, revisions
    db.session.rollback()


def test_the_series_is_the_running_total_of_every_change(history):
    bid, revisions = history
    points = series.pledged_series(bid)
    assert [(p.at, p.pledged_pence, p.members) for p in points] == reference_series(revisions)
    assert len(points) == len(revisions) - 4  # the four changes at one moment are one point


def test_a_long_history_is_bucketed_and_exact_at_every_bucket_end(history):
    bid, revisions = history
    points = series.pledged_series(bid, max_points=20)
    full = reference_series(revisions)
    # Buckets of an hour (ten days of history over 20 points): at most one point per hour with changes.
    assert len(points) == len({(at.date(), at.hour) for at, _, _ in full}) < len(full)
    for point in points:  # each point is the exact total after the last change of its bucket
        assert (point.at, point.pledged_pence, point.members) in full
        assert point.pledged_pence == reference_at(revisions, point.at)
    on_the_hour = [at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1) for at, _, _ in full]
    for moment in on_the_hour:  # every whole hour (so every UK midnight) reads the exact figure
        shown = next((p.pledged_pence for p in reversed(points) if p.at < moment), 0)
        assert shown == reference_at(revisions, moment - timedelta(microseconds=1))


def test_older_sqlite_buckets_the_same_without_unixepoch(history, monkeypatch):
    """SQLite before 3.38 has no unixepoch(): the series falls back to strftime('%s') and gives the same buckets."""
    if db.session.get_bind().dialect.name != "sqlite":
        pytest.skip("the fallback is SQLite's alone")
    bid, _ = history
    newer = series.pledged_series(bid, max_points=20)
    monkeypatch.setattr(series.sqlite3, "sqlite_version_info", (3, 37, 2))
    series._statements.cache_clear()
    try:
        assert "strftime" in str(series._statements("sqlite").bucketed)
        assert series.pledged_series(bid, max_points=20) == newer
    finally:
        series._statements.cache_clear()


def test_the_total_at_any_moment(history):
    bid, revisions = history
    rng = random.Random(4)
    first = revisions[0][1]
    for moment in [first - timedelta(seconds=1), first, revisions[40][1], *(r[1] for r in rng.sample(revisions, 10))]:
        assert series.pledged_at(bid, moment) == reference_at(revisions, moment)
    assert series.pledged_at(bid, clock.now()) == reference_series(revisions)[-1][1]


def test_a_bid_without_pledges_has_an_empty_series(ctx):
    bid = BidFactory()
    assert series.pledged_series(bid) == []
    assert series.pledged_at(bid, clock.now()) == 0


def test_the_regional_split_matches_splitting_each_pledge_in_python(ctx):
    rng = random.Random(7)
    bid = BidFactory()
    made = []
    for _ in range(30):
        regions = rng.sample(CODES, rng.randrange(1, 5))
        if rng.random() < 0.2:
            regions.append("XX")  # an unknown code (an old region list) takes no share
        status = rng.choice(["indicative", "confirmed", "withdrawn"])
        made.append(
            pledge_for(
                member_of(bid),
                bid,
                regions=regions,
                amount_pence=rng.randrange(1, 10**9),
                homes=rng.randrange(0, 999),
                status=status,
            )
        )
    db.session.flush()
    expected = {code: [0, 0, 0] for code in CODES}
    for p in made:
        if p.status == "withdrawn":
            continue
        codes = [c for c in p.regions if c in expected]
        for code, share, homes in zip(
            codes, split_evenly(p.amount_pence, len(codes)), split_evenly(p.homes, len(codes)), strict=True
        ):
            expected[code][0] += share
            expected[code][1] += homes
            expected[code][2] += 1
    figures = totals.compute(bid)
    assert {r.code: [r.amount_pence, r.homes, r.members] for r in figures.regions} == expected
    assert sum(r.amount_pence for r in figures.regions) == figures.pledged_pence  # not a penny lost in the split
    assert [r.code for r in figures.regions] == CODES  # every region, in the usual order, even without pledges
