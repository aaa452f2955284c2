"""A live pledge's stored shares per region follow every change to it, in the same flush, and a withdrawn
pledge has none; the regional split read from them matches splitting each pledge afresh."""

import sqlalchemy as sa

from app.extensions import db
from app.models import PledgeRegionShare, PledgeRevision
from app.money import split_evenly
from app.services import pledges, totals
from tests.factories import BidFactory, member_of

GOOD = {
    "amount_pence": 1_000_01,
    "homes": 7,
    "regions": ["NW", "NE", "LON"],
    "statement": "Grants.",
    "status": "indicative",
    "accept_terms": True,
}


def shares(pledge_id: int) -> list[tuple]:
    return [
        tuple(r)
        for r in db.session.execute(
            sa.select(PledgeRegionShare.region, PledgeRegionShare.amount_pence, PledgeRegionShare.homes)
            .where(PledgeRegionShare.pledge_id == pledge_id)
            .order_by(PledgeRegionShare.region)
        )
    ]


def by_region(bid) -> dict[str, tuple]:
    return {r.code: (r.amount_pence, r.homes, r.members) for r in totals.compute(bid).regions if r.members}


def test_the_shares_follow_each_change_and_a_withdrawal_removes_them(ctx):
    bid = BidFactory()
    user = member_of(bid)
    pledge = pledges.save_pledge(user, bid, GOOD, expected_version=0)
    db.session.flush()
    # Canonical order NE, NW, LON: the first two take the penny and homes left over.
    assert shares(pledge.id) == [("LON", 33_333, 2), ("NE", 33_334, 3), ("NW", 33_334, 2)]
    assert by_region(bid) == {"NE": (33_334, 3, 1), "NW": (33_334, 2, 1), "LON": (33_333, 2, 1)}

    pledges.save_pledge(user, bid, {**GOOD, "regions": ["SW"], "homes": 9}, expected_version=1)
    db.session.flush()
    assert shares(pledge.id) == [("SW", 1_000_01, 9)]

    pledges.withdraw_pledge(user, bid, expected_version=2)
    db.session.flush()
    assert shares(pledge.id) == [] and by_region(bid) == {}

    pledges.save_pledge(user, bid, {**GOOD, "regions": ["SW", "WAL"]}, expected_version=3)
    db.session.flush()
    assert shares(pledge.id) == [("SW", 50_001, 4), ("WAL", 50_000, 3)]


def test_a_change_that_leaves_the_figures_alone_keeps_the_shares(ctx):
    bid = BidFactory()
    user = member_of(bid)
    pledge = pledges.save_pledge(user, bid, GOOD, expected_version=0)
    db.session.flush()
    before = shares(pledge.id)
    pledges.save_pledge(user, bid, {**GOOD, "statement": "Other words."}, expected_version=1)
    db.session.flush()
    assert shares(pledge.id) == before


def test_each_revision_records_its_change_to_the_live_total(ctx):
    bid = BidFactory()
    user = member_of(bid)
    pledges.save_pledge(user, bid, GOOD, expected_version=0)
    pledges.save_pledge(user, bid, {**GOOD, "amount_pence": 600_00}, expected_version=1)
    pledges.save_pledge(user, bid, {**GOOD, "amount_pence": 600_00, "status": "confirmed"}, expected_version=2)
    pledges.withdraw_pledge(user, bid, expected_version=3)
    pledges.save_pledge(user, bid, {**GOOD, "amount_pence": 700_00}, expected_version=4)
    db.session.flush()
    changes = db.session.execute(
        sa.select(PledgeRevision.action, PledgeRevision.amount_change_pence, PledgeRevision.members_change).order_by(
            PledgeRevision.version
        )
    ).all()
    assert [tuple(c) for c in changes] == [
        ("created", 1_000_01, 1),
        ("amended", 600_00 - 1_000_01, 0),
        ("confirmed", 0, 0),
        ("withdrawn", -600_00, -1),
        ("reinstated", 700_00, 1),
    ]
    assert sum(c[1] for c in changes) == totals.compute(bid).pledged_pence == 700_00


def test_split_evenly_adds_up_and_gives_the_remainder_to_the_first():
    assert split_evenly(10, 3) == [4, 3, 3] and split_evenly(2, 3) == [1, 1, 0] and split_evenly(5, 0) == []
