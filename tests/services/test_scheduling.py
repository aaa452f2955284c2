"""The scheduler's sweep: closes bids at their deadline and sends queued email, on a real file database."""

from datetime import timedelta

import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.models import BidStatus, EmailMessage, EmailStatus
from app.services import invitations, scheduling
from tests.factories import BidFactory


def test_sweep_closes_at_the_deadline_not_a_second_before_and_sends_pending_email(ctx, outbox):
    bid = BidFactory()
    invitations.invite(bid.created_by, bid, "Riverside Homes", "lead@riverside.example")
    db.session.commit()
    outbox.clear()
    db.session.execute(sa.update(EmailMessage).values(status=EmailStatus.PENDING))  # as if sending had failed
    db.session.commit()
    with time_machine.travel(bid.deadline - timedelta(seconds=1), tick=False):
        result = scheduling.run_sweep()
    assert result["closed"] == [] and result["emails_sent"] == 1
    assert len(outbox) == 1
    with time_machine.travel(bid.deadline, tick=False):
        assert scheduling.run_sweep()["closed"] == [bid.id]
        assert scheduling.run_sweep()["closed"] == []  # idempotent
    db.session.refresh(bid)
    assert bid.status == BidStatus.CLOSED
