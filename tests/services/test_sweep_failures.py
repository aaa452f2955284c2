"""A bid that fails inside one of the sweep's batches: the other bids of the batch are sent or closed, nothing of
the failed one is kept or sent (not even what it had queued before it failed), and the next sweep does it."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app import notifications
from app.extensions import db
from app.infra import units
from app.models import Bid, BidEvent, BidStatus, EmailMessage, ReminderSend, ReminderSlot
from app.services import bids as bid_service
from app.services import reminders, scheduling
from tests.factories import BidFactory, InvitationFactory
from tests.services.scheduler_helpers import T0, make_cast


@pytest.fixture(autouse=True)
def _no_digest(app, monkeypatch):
    monkeypatch.setitem(app.config, "DIGEST_HOUR", 24)


@pytest.fixture
def three_bids(ctx):
    """Three open bids with the same deadline, one batch of the sweep: the cast's (3 to chase) and two more
    with four invitees each."""
    with time_machine.travel(T0, tick=False):
        cast = make_cast()
        ids = [cast.bid.id]
        for n in range(2):
            bid = BidFactory(deadline=cast.bid.deadline, created_by=cast.convenors[0], title=f"Other bid {n}")
            for i in range(4):
                InvitationFactory(bid=bid, email=f"b{n}-{i}@example.org")
            ids.append(bid.id)
        db.session.commit()
    assert units.BATCH >= 3
    return cast, ids


def _sent_per_bid(outbox) -> Counter:
    emails = db.session.scalars(sa.select(EmailMessage).where(EmailMessage.kind == "reminder")).all()
    sent = {m.to[0] for m in outbox}
    return Counter(m.bid_id for m in emails if m.to_address in sent)


def test_a_bid_failing_in_a_batch_leaves_the_others_sent_and_is_retried_next_sweep(
    three_bids, outbox, monkeypatch, caplog
):
    cast, (first, failing, last) = three_bids
    queue_rows = notifications.queue_rows

    def fail_after_queueing(rows):
        ids = queue_rows(rows)  # the emails are in the outbox table and handed to the sender once committed
        if rows and rows[0]["bid_id"] == failing:
            raise RuntimeError("template blew up")
        return ids

    monkeypatch.setattr(notifications, "queue_rows", fail_after_queueing)
    moment = cast.bid.deadline - timedelta(days=7)
    with time_machine.travel(moment, tick=False), caplog.at_level(logging.ERROR, logger="app.infra.units"):
        counts = reminders.send_due()
    assert counts == {"sent": 3 + 4, "skipped": 0, "slots": 2, "clashed": 0}
    assert f"reminders for bid {failing} failed" in caplog.text
    # The batch committed the others; the failed bid kept nothing, and none of its queued emails went out.
    assert _sent_per_bid(outbox) == {first: 3, last: 4}
    assert len(outbox) == 7
    claimed = db.session.scalars(sa.select(ReminderSlot.bid_id)).all()
    assert sorted(claimed) == [first, last]
    assert db.session.scalar(sa.select(sa.func.count()).where(EmailMessage.bid_id == failing)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).where(ReminderSend.bid_id == failing)) == 0
    db.session.remove()

    monkeypatch.setattr(notifications, "queue_rows", queue_rows)
    with time_machine.travel(moment + timedelta(minutes=1), tick=False):
        assert reminders.send_due() == {"sent": 4, "skipped": 0, "slots": 1, "clashed": 0}
    assert _sent_per_bid(outbox) == {first: 3, failing: 4, last: 4}
    assert len(outbox) == 11  # nobody of the first sweep was reminded twice


def test_a_bid_failing_to_close_in_a_batch_leaves_the_others_closed_and_closes_next_sweep(
    three_bids, outbox, monkeypatch, caplog
):
    cast, (first, failing, last) = three_bids
    close_bid = bid_service.close_bid

    def fail_after_closing(actor, bid, **kwargs):
        close_bid(actor, bid, **kwargs)  # status written, audit and live event recorded, notices queued
        if bid.id == failing:
            raise RuntimeError("closing notice blew up")

    monkeypatch.setattr(bid_service, "close_bid", fail_after_closing)
    after = cast.bid.deadline + timedelta(seconds=1)
    with time_machine.travel(after, tick=False), caplog.at_level(logging.ERROR, logger="app.infra.units"):
        assert scheduling.close_due_bids() == [first, last]
    assert f"closing bid {failing} failed" in caplog.text
    db.session.expire_all()
    statuses = {b.id: b.status for b in db.session.scalars(sa.select(Bid))}
    assert statuses == {first: BidStatus.CLOSED, failing: BidStatus.OPEN, last: BidStatus.CLOSED}
    told = {m.bid_id for m in db.session.scalars(sa.select(EmailMessage))}
    assert told == {first, last}  # the failed bid's notices were undone with it, and none was sent
    assert {m.to[0] for m in outbox} == {m.to_address for m in db.session.scalars(sa.select(EmailMessage))}
    assert db.session.scalar(sa.select(sa.func.count()).where(BidEvent.bid_id == failing)) == 0
    sent_before = len(outbox)
    db.session.remove()

    monkeypatch.setattr(bid_service, "close_bid", close_bid)
    with time_machine.travel(after + timedelta(minutes=1), tick=False):
        assert scheduling.close_due_bids() == [failing]
    assert db.session.get(Bid, failing).status == BidStatus.CLOSED
    # The two convenors of the convening body hear of the failed bid's close now, and of the others only once.
    assert len(outbox) == sent_before + 2
