"""The hidden-amounts rule: other organisations' figures move only in steps combining three or more of them."""

from __future__ import annotations

import random

import pytest

from app.extensions import db
from app.services import disclosure, live, pledges, totals
from tests.factories import BidFactory, ConvenorFactory, member_of

REGIONS = ["NW", "NE", "WAL", "SCO", "LON"]


@pytest.fixture
def rctx(app):
    with app.test_request_context():
        yield app
        db.session.remove()


def figures(values: dict | None) -> tuple[int, int, int]:
    if not values or values["status"] not in ("confirmed", "indicative"):
        return (0, 0, 0)
    money = values["amount_pence"]
    return (money, 0, values["homes"]) if values["status"] == "confirmed" else (0, money, values["homes"])


def random_step(rng: random.Random, user, bid, state: dict) -> None:
    current = pledges.current_pledge(bid, user.organisation_id)
    version = current.version if current is not None else None
    if current is not None and current.is_live and rng.random() < 0.15:
        pledges.withdraw_pledge(user, bid, expected_version=version)
        state["status"] = "withdrawn"
    else:
        change = (
            rng.choice(["amount", "homes", "status", "all"])
            if state.get("status") in ("confirmed", "indicative")
            else "all"
        )
        if change in ("amount", "all"):
            state["amount_pence"] = rng.randrange(10_000, 900_000) * 100 + rng.randrange(1, 99)
        if change in ("homes", "all"):
            state["homes"] = rng.randrange(1, 20_000)
        if change in ("status", "all"):
            state["status"] = "indicative" if state.get("status") == "confirmed" else "confirmed"
        state.setdefault("regions", [rng.choice(REGIONS)])
        values = {k: state[k] for k in ("amount_pence", "homes", "status", "regions")}
        pledges.save_pledge(user, bid, {**values, "statement": "", "accept_terms": True}, expected_version=version)
    db.session.commit()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_move_of_the_other_organisations_figures_combines_three_or_more_of_them(rctx, seed):
    rng = random.Random(seed)
    bid = BidFactory(show_amounts=False)
    people = [member_of(bid) for _ in range(7)]
    own = people[0].organisation_id
    state = {u.organisation_id: {} for u in people}
    last: dict[int, tuple] = {}
    previous, moves = (0, 0, 0), 0
    for step in range(60):
        user = rng.choice(people[1:]) if rng.random() < 0.85 else people[0]
        random_step(rng, user, bid, state[user.organisation_id])
        truth = {org: figures(values) for org, values in state.items()}
        shown = disclosure.released(bid.id, own)
        seen = (shown.confirmed_pence, shown.indicative_pence, shown.homes)
        others_seen = tuple(s - m for s, m in zip(seen, truth[own], strict=True))
        others_now = tuple(sum(v[k] for o, v in truth.items() if o != own) for k in range(3))
        # The member's own figures count at once: only the others' part can lag.
        changed = [{o for o in truth if o != own and truth[o][k] != last.get(o, (0, 0, 0))[k]} for k in range(3)]
        releasable = any(changed) and all(not c or len(c) >= disclosure.MIN_GROUP for c in changed)
        if others_seen != previous or releasable:
            assert releasable, (step, changed)  # a move combines three or more for every figure that moved
            assert others_seen == others_now, step  # and shows them as they are, never a mix
            last, previous, moves = dict(truth), others_seen, moves + 1
            assert not shown.pending
        else:
            assert shown.pending == any(changed)
        assert shown.points[-1].pledged_pence == seen[0] + seen[1]
    assert moves >= 3  # the rule lets figures through; it does not freeze them


def test_a_change_undone_before_release_is_no_change(rctx):
    bid = BidFactory(show_amounts=False)
    mine, a, b, c = (member_of(bid) for _ in range(4))
    values = {"homes": 10, "regions": ["NW"], "statement": "", "accept_terms": True, "status": "confirmed"}
    for user in (a, b, c):
        pledges.save_pledge(user, bid, {**values, "amount_pence": 100_00}, expected_version=None)
    db.session.commit()
    assert disclosure.released(bid.id, mine.organisation_id).pledged_pence == 300_00
    pledges.save_pledge(a, bid, {**values, "amount_pence": 170_00}, expected_version=1)
    pledges.save_pledge(a, bid, {**values, "amount_pence": 100_00}, expected_version=2)
    pledges.save_pledge(b, bid, {**values, "amount_pence": 250_00}, expected_version=1)
    db.session.commit()
    shown = disclosure.released(bid.id, mine.organisation_id)
    assert shown.pledged_pence == 300_00 and shown.pending  # only one organisation's figure differs


def test_who_sees_released_figures(rctx):
    hidden, shown = BidFactory(show_amounts=False), BidFactory(show_amounts=True)
    assert disclosure.hides_amounts_from(member_of(hidden), hidden)
    assert not disclosure.hides_amounts_from(ConvenorFactory(organisation=hidden.organisation), hidden)
    assert not disclosure.hides_amounts_from(member_of(shown), shown)


def test_released_totals_carry_no_region_figures_and_thresholds_follow_them(rctx):
    bid = BidFactory(show_amounts=False, min_total_pence=100_00)
    mine, other = member_of(bid), member_of(bid)
    values = {"homes": 10, "regions": ["NW"], "statement": "", "accept_terms": True, "status": "confirmed"}
    pledges.save_pledge(other, bid, {**values, "amount_pence": 500_00}, expected_version=None)
    db.session.commit()
    seen = disclosure.totals_for(mine, bid)
    assert seen.withheld and seen.pledged_pence == 0 and seen.homes == 0 and seen.released_at is None
    assert all(r.amount_pence == 0 and r.homes == 0 for r in seen.regions)
    assert [r.members for r in seen.regions if r.code == "NW"] == [1]  # counts are not amounts
    assert seen.thresholds[0].actual == "£0" and not seen.thresholds[0].met
    full = totals.compute(bid)
    assert full.pledged_pence == 500_00 and not full.withheld
    convenor = ConvenorFactory(organisation=bid.organisation)
    assert disclosure.totals_for(convenor, bid).pledged_pence == 500_00
    # The projection and the series of a hidden-amounts member come from the released figures too.
    snap = live.snapshot(bid, live.audience_for(mine, bid))
    assert snap.totals.pledged_pence == 0 and all(p.pledged_pence == 0 for p in snap.points)
    assert snap.points[-1].members == 1  # the chart counts organisations, as they are
