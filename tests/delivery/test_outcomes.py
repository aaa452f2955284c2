"""Recording a submitted bid's outcome: won, lost, withdrawn, corrected; audited; members emailed; pledges
released; the lifecycle's transitions and the database's constraint behind them."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import AuditEvent, BidOutcome, BidStatus, EmailMessage, Pledge
from app.models.bid import TRANSITIONS
from app.services import outcomes
from app.services.errors import InvalidTransition, PermissionDenied, StaleVersion, ValidationFailed
from tests.delivery.helpers import WON, submitted_bid
from tests.factories import BidFactory, member_of, pledge_for


def _actions(bid) -> list[str]:
    return list(
        db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.bid_id == bid.id).order_by(AuditEvent.id))
    )


def test_won_records_the_award_opens_delivery_and_emails_every_member(ctx):
    bid, users = submitted_bid(3)
    outcome = outcomes.record_outcome(bid.created_by, bid, WON)
    assert bid.status == BidStatus.WON and bid.in_delivery
    assert outcome.amount_awarded_pence == 500_000_000 and outcome.grant_reference == "CMF-2026-0042"
    assert outcome.spend_by == date(2027, 12, 31)
    assert _actions(bid)[-2:] == ["bid.won", "outcome.recorded"]
    mails = db.session.scalars(sa.select(EmailMessage).where(EmailMessage.kind == "outcome")).all()
    assert sorted(m.to_address for m in mails) == sorted(u.email for u in users)
    assert "£5,000,000 awarded on 1 December 2026" in mails[0].body_text
    assert all(p.released_at is None for p in db.session.scalars(sa.select(Pledge)))


@pytest.mark.parametrize("result", ["lost", "withdrawn"])
def test_lost_or_withdrawn_releases_the_pledges_which_stay_as_history(ctx, result):
    bid, _users = submitted_bid(2)
    outcomes.record_outcome(bid.created_by, bid, {"result": result, "reason": "Oversubscribed scheme."})
    pledges = db.session.scalars(sa.select(Pledge).where(Pledge.bid_id == bid.id)).all()
    assert len(pledges) == 2 and all(p.released_at is not None for p in pledges)
    assert all(p.amount_pence == 25_000_000 for p in pledges)  # kept, readable as history
    assert bid.pledges_released and not bid.in_delivery
    mail = db.session.scalars(sa.select(EmailMessage).where(EmailMessage.kind == "outcome")).first()
    assert "pledge is released" in mail.body_text


def test_a_correction_is_audited_again_and_moves_the_status_and_the_pledges(ctx):
    bid, _users = submitted_bid(2)
    outcomes.record_outcome(bid.created_by, bid, {"result": "lost", "reason": "Typed in error"})
    outcome = outcomes.record_outcome(bid.created_by, bid, WON, expected_version=1)
    assert bid.status == BidStatus.WON and outcome.version == 2 and outcome.reason == ""
    assert _actions(bid)[-4:] == ["bid.lost", "outcome.recorded", "bid.won", "outcome.corrected"]
    corrected = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "outcome.corrected")).one()
    assert corrected.before["result"] == "lost" and corrected.after["result"] == "won"
    assert all(p.released_at is None for p in db.session.scalars(sa.select(Pledge)))
    with pytest.raises(StaleVersion):
        outcomes.record_outcome(bid.created_by, bid, {"result": "withdrawn"}, expected_version=1)


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"result": "drawn"}, "result", "Choose won, lost or withdrawn."),
        ({**WON, "amount_awarded_pence": None}, "amount_awarded_pence", "Enter the amount awarded."),
        ({**WON, "amount_awarded_pence": "5,000"}, "amount_awarded_pence", "whole number of pence"),
        ({**WON, "amount_awarded_pence": 0}, "amount_awarded_pence", "more than £0"),
        ({**WON, "award_date": "02/11/2020"}, "award_date", "as a date"),
        ({**WON, "spend_by": date(2020, 1, 1)}, "spend_by", "cannot be before the award date"),
        ({"result": "lost", "amount_awarded_pence": 100}, "amount_awarded_pence", "Only a won bid"),
        ({**WON, "grant_reference": "two\nlines"}, "grant_reference", ""),
    ],
)
def test_bad_outcomes_are_refused_with_a_message_and_nothing_changes(ctx, values, field, message):
    bid, _users = submitted_bid(1)
    with pytest.raises(ValidationFailed) as refused:
        outcomes.record_outcome(bid.created_by, bid, values)
    assert field in refused.value.errors and message in " ".join(refused.value.errors[field])
    assert bid.status == BidStatus.SUBMITTED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BidOutcome)) == 0


def test_only_a_submitted_bid_takes_an_outcome_and_only_its_convenors_record_it(ctx):
    bid = BidFactory(status=BidStatus.CLOSED)
    with pytest.raises(InvalidTransition):
        outcomes.record_outcome(bid.created_by, bid, WON)
    submitted, users = submitted_bid(1)
    with pytest.raises(PermissionDenied):
        outcomes.record_outcome(users[0], submitted, WON)
    with pytest.raises(PermissionDenied):
        outcomes.record_outcome(bid.created_by, submitted, WON)  # another body's convenor


def test_transitions_reach_outcomes_only_from_submitted_and_never_back():
    assert TRANSITIONS[BidStatus.SUBMITTED] == {BidStatus.WON, BidStatus.LOST, BidStatus.WITHDRAWN}
    assert TRANSITIONS[BidStatus.WON] == {BidStatus.LOST, BidStatus.WITHDRAWN}
    assert all(BidStatus.SUBMITTED not in TRANSITIONS[s] for s in (BidStatus.WON, BidStatus.LOST))
    assert BidStatus.WON not in TRANSITIONS[BidStatus.CLOSED]


def test_the_database_refuses_an_unknown_status_and_a_won_outcome_without_an_award(ctx):
    bid, _users = submitted_bid(1)
    db.session.flush()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(sa.text("UPDATE bids SET status = 'awarded' WHERE id = :id"), {"id": bid.id})
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(
            BidOutcome(
                bid_id=bid.id, result="won", recorded_by_id=bid.created_by_id, conditions="", reason="", feedback=""
            )
        )
        db.session.flush()


def test_submit_warns_of_unmet_thresholds_but_submits(ctx):
    bid = BidFactory(status=BidStatus.CLOSED, min_members=5, min_total_pence=100_000_000)
    pledge_for(member_of(bid), bid)
    warnings = outcomes.submit_bid(bid.created_by, bid)
    assert bid.status == BidStatus.SUBMITTED
    assert warnings == [
        "Minimum total match funding: £1,000,000 required, £250,000 pledged.",
        "Minimum number of member organisations: 5 required, 1 pledged.",
    ]
