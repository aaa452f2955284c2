"""Pledge rules: validation, the deadline clock, optimistic locking, revisions and audit."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.models import AuditEvent, BidEvent, BidStatus, Pledge, PledgeRevision
from app.services import pledges, totals
from app.services.errors import BidNotOpen, NotFound, PermissionDenied, StaleVersion, ValidationFailed
from tests.factories import BidFactory, member_of

GOOD = {
    "amount_pence": 25_000_000,
    "homes": 12_400,
    "regions": ["NW", "NE"],
    "statement": "Grants.",
    "status": "indicative",
    "accept_terms": True,
}


def counts():
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Pledge, PledgeRevision))


def test_create_amend_confirm_withdraw_each_write_one_revision_and_audit(ctx, outbox):
    bid = BidFactory()
    user = member_of(bid)
    pledge = pledges.save_pledge(user, bid, GOOD, expected_version=0)
    db.session.commit()
    assert pledge.version == 1 and pledge.regions == ["NE", "NW"]  # canonical order
    pledges.save_pledge(user, bid, {**GOOD, "amount_pence": 30_000_000}, expected_version=1)
    pledges.save_pledge(user, bid, {**GOOD, "amount_pence": 30_000_000, "status": "confirmed"}, expected_version=2)
    pledges.withdraw_pledge(user, bid, expected_version=3)
    db.session.commit()
    revisions = db.session.scalars(sa.select(PledgeRevision).order_by(PledgeRevision.version)).all()
    assert [r.action for r in revisions] == ["created", "amended", "confirmed", "withdrawn"]
    assert revisions[1].before["amount_pence"] == 25_000_000 and revisions[1].after["amount_pence"] == 30_000_000
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("pledge.%"))).all()
    assert sorted(actions) == sorted(["pledge.created", "pledge.amended", "pledge.confirmed", "pledge.withdrawn"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BidEvent)) == 4
    assert [m.to for m in outbox] == [[user.email]] * 4
    assert totals.compute(bid).pledged_pence == 0


def test_saving_identical_values_writes_nothing(ctx):
    bid = BidFactory()
    user = member_of(bid)
    pledges.save_pledge(user, bid, GOOD, expected_version=0)
    pledges.save_pledge(user, bid, GOOD, expected_version=1)
    db.session.commit()
    assert counts() == (1, 1)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"amount_pence": 0}, "amount_pence", "more than £0"),
        ({"amount_pence": -5}, "amount_pence", "more than £0"),
        ({"amount_pence": 2.5}, "amount_pence", "whole number of pence"),
        ({"amount_pence": "100"}, "amount_pence", "whole number of pence"),
        ({"amount_pence": 10**15}, "amount_pence", "too large"),
        ({"homes": -1}, "homes", "cannot be negative"),
        ({"homes": None}, "homes", "Enter the number of homes"),
        ({"regions": []}, "regions", "at least one region"),
        ({"regions": ["XX"]}, "regions", "Unknown region"),
        ({"statement": "x" * 5001}, "statement", "5,000 characters or fewer"),
        ({"status": "maybe"}, "status", "indicative or confirmed"),
        ({"accept_terms": False}, "accept_terms", "accept the bid's terms"),
        ({"colour": "red"}, "colour", "Unknown field"),
    ],
)
def test_bad_values_are_refused_with_a_message_and_nothing_saved(ctx, change, field, message):
    bid = BidFactory()
    user = member_of(bid)
    with pytest.raises(ValidationFailed) as caught:
        pledges.save_pledge(user, bid, {**GOOD, **change}, expected_version=0)
    assert message in " ".join(caught.value.errors[field])
    db.session.rollback()
    assert counts() == (0, 0)


def test_minimum_pledge_is_enforced(ctx):
    bid = BidFactory(min_pledge_pence=5_000_000)
    user = member_of(bid)
    with pytest.raises(ValidationFailed) as caught:
        pledges.save_pledge(user, bid, {**GOOD, "amount_pence": 4_999_999}, expected_version=0)
    assert caught.value.errors["amount_pence"] == ["The minimum pledge for this bid is £50,000."]


def test_deadline_is_enforced_by_the_clock_to_the_second(ctx):
    bid = BidFactory()
    user = member_of(bid)
    db.session.commit()
    with time_machine.travel(bid.deadline - timedelta(seconds=1), tick=False):
        pledges.save_pledge(user, bid, GOOD, expected_version=0)
        db.session.commit()
    with time_machine.travel(bid.deadline, tick=False):
        assert bid.status == BidStatus.OPEN  # the scheduler has not run: the clock still refuses
        with pytest.raises(BidNotOpen, match="deadline passed"):
            pledges.save_pledge(user, bid, {**GOOD, "homes": 1}, expected_version=1)
        with pytest.raises(BidNotOpen):
            pledges.withdraw_pledge(user, bid, expected_version=1)
    db.session.rollback()
    assert db.session.scalar(sa.select(Pledge.homes)) == 12_400


def test_grace_window_lets_organisations_that_had_started_save(ctx):
    bid = BidFactory(grace_minutes=15)
    early, late = member_of(bid), member_of(bid)
    pledges.save_pledge(early, bid, GOOD, expected_version=0)
    db.session.commit()
    with time_machine.travel(bid.deadline + timedelta(minutes=5), tick=False):
        pledge = pledges.save_pledge(early, bid, {**GOOD, "status": "confirmed"}, expected_version=1)
        assert pledge.in_grace is True
        with pytest.raises(BidNotOpen):
            pledges.save_pledge(late, bid, GOOD, expected_version=0)
    with time_machine.travel(bid.deadline + timedelta(minutes=15), tick=False), pytest.raises(BidNotOpen):
        pledges.save_pledge(early, bid, GOOD, expected_version=2)


@pytest.mark.parametrize("status", [BidStatus.DRAFT, BidStatus.CLOSED, BidStatus.CANCELLED, BidStatus.SUBMITTED])
def test_only_open_bids_take_pledges(ctx, status):
    bid = BidFactory()
    user = member_of(bid)
    bid.status = status
    db.session.flush()
    with pytest.raises((BidNotOpen, NotFound)):
        pledges.save_pledge(user, bid, GOOD, expected_version=0)


def test_stale_version_is_refused_with_the_current_values(ctx):
    bid = BidFactory()
    alice = member_of(bid)
    pledges.save_pledge(alice, bid, GOOD, expected_version=0)
    pledges.save_pledge(alice, bid, {**GOOD, "amount_pence": 40_000_000}, expected_version=1)
    db.session.commit()
    with pytest.raises(StaleVersion) as caught:
        pledges.save_pledge(alice, bid, {**GOOD, "amount_pence": 1_000_000}, expected_version=1)
    assert caught.value.current["amount_pence"] == 40_000_000
    assert caught.value.current["version"] == 2
    db.session.rollback()
    assert db.session.scalar(sa.select(Pledge.amount_pence)) == 40_000_000


def test_a_second_first_pledge_from_the_same_organisation_is_a_conflict(ctx):
    bid = BidFactory()
    user = member_of(bid)
    pledges.save_pledge(user, bid, GOOD, expected_version=0)
    db.session.commit()
    with pytest.raises(StaleVersion):
        pledges.save_pledge(user, bid, GOOD, expected_version=0)


def test_outsiders_cannot_pledge(ctx):
    bid = BidFactory()
    other_bid = BidFactory()
    stranger = member_of(other_bid)
    with pytest.raises(NotFound):
        pledges.save_pledge(stranger, bid, GOOD, expected_version=0)
    with pytest.raises(PermissionDenied):
        pledges.save_pledge(bid.created_by, bid, GOOD, expected_version=0)


def test_revisions_visible_to_own_organisation_and_convenor_only(ctx):
    bid = BidFactory()
    a, b = member_of(bid), member_of(bid)
    pledge = pledges.save_pledge(a, bid, GOOD, expected_version=0)
    db.session.commit()
    assert len(pledges.revisions_for(a, bid, pledge.id)[1]) == 1
    assert len(pledges.revisions_for(bid.created_by, bid, pledge.id)[1]) == 1
    with pytest.raises(NotFound):
        pledges.revisions_for(b, bid, pledge.id)
    other_convenor = BidFactory().created_by
    with pytest.raises(NotFound):
        pledges.revisions_for(other_convenor, bid, pledge.id)
