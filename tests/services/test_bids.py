"""Bid rules: validation, the lifecycle, edits while open, extensions, audit."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.infra import clock
from app.models import AuditEvent, Bid, BidEvent, BidStatus
from app.services import bids
from app.services.errors import InvalidTransition, PermissionDenied, StaleVersion, ValidationFailed
from tests.factories import BidFactory, ConvenorFactory, member_of


def values(**change):
    base = {
        "title": "Match fund bid",
        "funder_name": "Funder",
        "scheme": "Scheme",
        "summary": "Case",
        "terms": "Terms",
        "target_pence": 600_000_000,
        "target_homes": 1_000_000,
        "deadline": clock.now() + timedelta(days=10),
    }
    return {**base, **change}


def test_create_draft_then_open_is_audited(ctx):
    convenor = ConvenorFactory()
    bid = bids.create_bid(convenor, values())
    assert bid.status == BidStatus.DRAFT
    bids.open_bid(convenor, bid)
    db.session.commit()
    assert bid.status == BidStatus.OPEN and bid.opened_at is not None
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["bid.created", "bid.opened"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": ""}, "title", "Enter the title."),
        ({"title": "x" * 201}, "title", "200 characters or fewer"),
        ({"target_pence": 0}, "target_pence", "more than £0"),
        ({"target_pence": "lots"}, "target_pence", "whole number"),
        ({"target_homes": -1}, "target_homes", "cannot be negative"),
        ({"deadline": clock.now() - timedelta(minutes=1)}, "deadline", "in the future"),
        ({"min_pledge_pence": 700_000_000}, "min_pledge_pence", "cannot be more than the target"),
        ({"grace_minutes": 5000}, "grace_minutes", "too large"),
        ({"show_amounts": "yes"}, "show_amounts", "Choose whether"),
    ],
)
def test_bad_bid_values_are_refused_and_nothing_is_saved(ctx, change, field, message):
    convenor = ConvenorFactory()
    with pytest.raises(ValidationFailed) as caught:
        bids.create_bid(convenor, values(**change))
    assert message in " ".join(caught.value.errors[field])
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bid)) == 0


def test_members_cannot_create_bids(ctx):
    bid = BidFactory()
    with pytest.raises(PermissionDenied):
        bids.create_bid(member_of(bid), values())


def test_edit_while_open_records_before_and_after_and_refuses_deadline(ctx):
    bid = BidFactory()
    convenor = bid.created_by
    bids.update_bid(convenor, bid, {"title": "New title", "target_pence": 700_000_000}, expected_version=bid.version)
    db.session.commit()
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "bid.edited"))
    assert event.before["target_pence"] == 600_000_000 and event.before["title"].startswith("Consortium bid")
    assert event.after == {"title": "New title", "target_pence": 700_000_000}
    with pytest.raises(ValidationFailed) as caught:
        bids.update_bid(convenor, bid, {"deadline": clock.now() + timedelta(days=30)})
    assert "Extend the deadline" in caught.value.errors["deadline"][0]


def test_stale_bid_edit_is_refused(ctx):
    bid = BidFactory()
    old_version = bid.version
    bids.update_bid(bid.created_by, bid, {"title": "One"}, expected_version=old_version)
    db.session.commit()
    with pytest.raises(StaleVersion):
        bids.update_bid(bid.created_by, bid, {"title": "Two"}, expected_version=old_version)


def test_extend_must_be_later_and_reopen_closed_bid(ctx):
    bid = BidFactory()
    convenor = bid.created_by
    with pytest.raises(ValidationFailed) as caught:
        bids.extend_deadline(convenor, bid, bid.deadline - timedelta(hours=1))
    assert caught.value.errors["deadline"] == ["The new deadline must be later than the current one."]
    later = bid.deadline + timedelta(days=2)
    bids.extend_deadline(convenor, bid, later)
    bids.close_bid(convenor, bid)
    bids.extend_deadline(convenor, bid, later + timedelta(days=1))
    db.session.commit()
    assert bid.status == BidStatus.OPEN and bid.deadline == later + timedelta(days=1)
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["bid.extended", "bid.closed", "bid.opened", "bid.reopened"]
    kinds = db.session.scalars(sa.select(BidEvent.kind).order_by(BidEvent.id)).all()
    assert kinds == ["bid.extended", "bid.status", "bid.status", "bid.reopened"]


@pytest.mark.parametrize(
    ("start", "operation"),
    [
        (BidStatus.DRAFT, bids.close_bid),
        (BidStatus.CANCELLED, bids.open_bid),
        (BidStatus.SUBMITTED, bids.cancel_bid),
        (BidStatus.OPEN, bids.mark_submitted),
        (BidStatus.CLOSED, bids.cancel_bid),
    ],
)
def test_transitions_not_in_the_lifecycle_are_refused(ctx, start, operation):
    bid = BidFactory(status=start)
    with pytest.raises(InvalidTransition):
        operation(bid.created_by, bid)


def test_convenor_of_another_body_cannot_act(ctx):
    bid = BidFactory()
    with pytest.raises(PermissionDenied):
        bids.close_bid(ConvenorFactory(), bid)
