"""Members with no grants by the convenor's date are reminded exactly once; a new date reminds once more."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from app.extensions import db
from app.infra import sweeps
from app.models import EmailMessage, ReminderSend
from app.services import grant_reminders, outcomes
from tests.delivery.helpers import WON, grant_by, submitted_bid

BEFORE = datetime(2027, 3, 30, 12, tzinfo=UTC)
ON_THE_DAY = datetime(2027, 3, 31, 9, tzinfo=UTC)


def _mails() -> list[str]:
    return sorted(db.session.scalars(sa.select(EmailMessage.to_address).where(EmailMessage.kind == "grants_due")))


def _won_with_due(due: date):
    bid, users = submitted_bid(3)
    outcomes.record_outcome(bid.created_by, bid, {**WON, "grants_due_by": due})
    grant_by(users[0], bid)
    db.session.commit()
    return bid, users


def test_only_members_with_no_grants_are_reminded_once_the_date_comes_and_only_once(ctx):
    bid, users = _won_with_due(date(2027, 3, 31))
    assert grant_reminders.send_due(BEFORE) == {"grant_reminders": 0}
    assert grant_reminders.send_due(ON_THE_DAY) == {"grant_reminders": 2}
    assert _mails() == sorted(u.email for u in users[1:])
    assert grant_reminders.send_due(ON_THE_DAY) == {"grant_reminders": 0}  # the second sweep finds them claimed
    assert len(_mails()) == 2
    rows = db.session.scalars(sa.select(ReminderSend).where(ReminderSend.kind == "grants_due")).all()
    assert {r.slot for r in rows} == {"grants-due@2027-03-31"} and len(rows) == 2
    body = db.session.scalars(sa.select(EmailMessage.body_text).where(EmailMessage.kind == "grants_due")).first()
    assert "by 31 March 2027" in body and f"/bids/{bid.id}/grants" in body


def test_a_new_date_reminds_once_more_and_closed_delivery_reminds_no_one(ctx):
    bid, _users = _won_with_due(date(2027, 3, 31))
    grant_reminders.send_due(ON_THE_DAY)
    outcomes.record_outcome(bid.created_by, bid, {**WON, "grants_due_by": date(2027, 4, 30)})
    db.session.commit()
    assert grant_reminders.send_due(datetime(2027, 4, 30, 9, tzinfo=UTC)) == {"grant_reminders": 2}
    assert len(_mails()) == 4
    outcomes.record_outcome(bid.created_by, bid, {**WON, "grants_due_by": date(2027, 5, 31)})
    outcomes.set_delivery_open(bid.created_by, bid, open_=False)
    db.session.commit()
    assert grant_reminders.send_due(datetime(2027, 6, 1, tzinfo=UTC)) == {"grant_reminders": 0}


def test_the_step_is_registered_with_the_sweep():
    assert "grant_reminders" in {step.name for step in sweeps.registered()}
