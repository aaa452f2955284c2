"""The pledged-over-time series and the regional split as SQL aggregates: the same figures as walking every
revision and every pledge in Python (the reference below), on both databases, and a bounded series."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.infra import clock
from app.models import Pledge, PledgeRevision
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
    _forget_kept()  # sum every bucket with the fallback, not only the newest
    try:
        assert "strftime" in str(series._statements("sqlite").buckets)
        assert series.pledged_series(bid, max_points=20) == newer
    finally:
        series._statements.cache_clear()


def _forget_kept() -> None:
    current_app.extensions.pop("kept_series", None)


def _summed_afresh(bid) -> list:
    _forget_kept()
    return series.pledged_series(bid, max_points=20)


def _revision(pledge, at, amount_pence: int) -> None:
    db.session.add(
        PledgeRevision(
            pledge_id=pledge.id,
            bid_id=pledge.bid_id,
            organisation_id=pledge.organisation_id,
            version=1000 + amount_pence,
            action="updated",
            actor_id=pledge.created_by_id,
            created_at=at,
            before={"status": "confirmed", "amount_pence": 0},
            after={"status": "confirmed", "amount_pence": amount_pence},
        )
    )
    db.session.flush()


@pytest.fixture
def bucket_reads(ctx):
    """The ``since`` of each bucketed read: where it started summing (1970 when it summed every bucket)."""
    seen: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        if "GROUP BY" in statement and "pledge_revisions" in statement:
            seen.append(str(parameters))

    sa.event.listen(db.engine, "before_cursor_execute", listen)
    yield seen
    sa.event.remove(db.engine, "before_cursor_execute", listen)


def test_a_bucketed_series_sums_only_its_newest_buckets_again(history, bucket_reads):
    """The buckets before the newest are kept: the next read sums from the newest on, and gives what summing
    every revision again gives, including changes after the first read."""
    bid, revisions = history
    first = series.pledged_series(bid, max_points=20)
    assert "1970" in bucket_reads[-1]
    pledge = db.session.get(Pledge, revisions[-1][0])
    _revision(pledge, revisions[-1][1] + timedelta(seconds=1), 7_00)  # into the newest bucket
    _revision(pledge, revisions[-1][1] + timedelta(hours=2), 9_00)  # a bucket of its own
    again = series.pledged_series(bid, max_points=20)
    assert "1970" not in bucket_reads[-1]  # started from the newest bucket
    assert again == _summed_afresh(bid)
    assert again[-1].pledged_pence == first[-1].pledged_pence + 16_00
    assert len(again) == len(first) + 1


def test_a_change_among_the_kept_buckets_sums_them_all_again(history, bucket_reads):
    """A revision dated before the kept buckets end (one that committed late, or was imported) is counted."""
    bid, revisions = history
    first = series.pledged_series(bid, max_points=20)
    _revision(db.session.get(Pledge, revisions[10][0]), revisions[10][1] + timedelta(seconds=1), 5_00)
    again = series.pledged_series(bid, max_points=20)
    assert "1970" in bucket_reads[-1]  # the fingerprint no longer matched
    assert again == _summed_afresh(bid)
    assert again[-1].pledged_pence == first[-1].pledged_pence + 5_00


def test_buckets_kept_from_a_rolled_back_change_are_not_shown(history):
    bid, revisions = history
    before = _summed_afresh(bid)
    savepoint = db.session.begin_nested()
    _revision(db.session.get(Pledge, revisions[10][0]), revisions[10][1] + timedelta(seconds=1), 5_00)
    assert series.pledged_series(bid, max_points=20)[-1].pledged_pence == before[-1].pledged_pence + 5_00
    savepoint.rollback()
    assert series.pledged_series(bid, max_points=20) == before


def test_each_bid_and_step_is_kept_apart_and_the_oldest_read_is_dropped():
    kept = series._KeptSeries(size=2)
    made = [series._Kept(clock.now(), series._Sums(n), ()) for n in range(3)]
    kept.put((1, 60), made[0])
    kept.put((1, 3600), made[1])
    assert kept.get((1, 60)) is made[0]  # read last: kept over (1, 3600)
    kept.put((2, 60), made[2])
    assert kept.get((1, 3600)) is None
    assert kept.get((1, 60)) is made[0] and kept.get((2, 60)) is made[2]


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
