"""The scheduler's close: exactly at the deadline (after any grace window), with the closing notices, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.models import (
    AuditEvent,
    BidEvent,
    BidStatus,
    ConvenorSend,
    EmailMessage,
    EmailStatus,
    ReminderSend,
    ReminderSlot,
)
from app.services import bids, invitations, pledges, scheduling
from tests.factories import BidFactory
from tests.services.scheduler_helpers import T0, emails, make_cast, recipients


@pytest.fixture(autouse=True)
def _no_digest(app, monkeypatch):
    # Digests have their own tests; keep them out of these email counts.
    monkeypatch.setitem(app.config, "DIGEST_HOUR", 24)


def _reload(bid):
    db.session.expire_all()
    return db.session.get(type(bid), bid.id)


def test_closes_at_the_deadline_not_a_second_before(ctx, outbox):
    with time_machine.travel(T0, tick=False):
        cast = make_cast()
    deadline = cast.bid.deadline
    with time_machine.travel(deadline - timedelta(seconds=1), tick=False):
        assert scheduling.run_sweep()["closed"] == []
        assert _reload(cast.bid).status == BidStatus.OPEN
    with time_machine.travel(deadline, tick=False):
        assert scheduling.run_sweep()["closed"] == [cast.bid.id]
    bid = _reload(cast.bid)
    assert bid.status == BidStatus.CLOSED
    assert bid.closed_at == deadline
    event = db.session.scalar(sa.select(BidEvent).where(BidEvent.bid_id == bid.id, BidEvent.kind == "bid.status"))
    assert event.payload == {"status": "closed", "previous": "open", "reason": "deadline"}
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "bid.closed"))
    assert audit.actor_id is None and audit.bid_id == bid.id


def test_closing_summary_to_every_convenor_and_a_note_to_every_member(ctx, outbox):
    with time_machine.travel(T0, tick=False):
        cast = make_cast()
    with time_machine.travel(cast.bid.deadline + timedelta(seconds=5), tick=False):
        scheduling.run_sweep()
    assert recipients("bid_closed_convenor") == ["deputy@convenor.example", "lead@convenor.example"]
    summary = emails("bid_closed_convenor")[0]
    assert "closed at its deadline, 9am on Thursday 12 March 2026" in summary.body_text
    assert "Total pledged: £400,000 of the £6,000,000 target (7%)" in summary.body_text
    assert "confirmed: £300,000; indicative: £100,000" in summary.body_text
    assert "Member organisations pledging: 2 (1 confirmed)" in summary.body_text
    assert "Minimum number of member organisations: 2 against 3 – NOT met" in summary.body_text
    assert f"http://localhost/bids/{cast.bid.id}" in summary.body_text
    # Every user of every organisation that joined; nobody who only was invited.
    assert recipients("bid_closed_member") == [
        "colleague@example.org",
        "confirmed@example.org",
        "indicative@example.org",
        "nopledge@example.org",
        "withdrawn@example.org",
    ]
    by_to = {m.to_address: m.body_text for m in emails("bid_closed_member")}
    assert (
        "Confirmed Homes's pledge stands at £300,000 covering 12,400 homes (confirmed)"
        in by_to["confirmed@example.org"]
    )
    assert "Indicative Homes's pledge stands at £100,000" in by_to["indicative@example.org"]
    assert "No Pledge Homes did not pledge to this bid" in by_to["colleague@example.org"]
    assert "was withdrawn before the bid closed" in by_to["withdrawn@example.org"]
    # Sent, not just queued.
    assert {m.to[0] for m in outbox} >= {"lead@convenor.example", "colleague@example.org"}
    rows = db.session.scalars(sa.select(ReminderSend).where(ReminderSend.kind == "closed")).all()
    assert len(rows) == 4  # one per organisation that joined
    assert all(r.slot == "closed@2026-03-12T09:00:00Z" and r.outcome == "sent" for r in rows)


def test_a_second_sweep_sends_nothing_again(ctx, outbox):
    with time_machine.travel(T0, tick=False):
        cast = make_cast()
    with time_machine.travel(cast.bid.deadline + timedelta(minutes=1), tick=False):
        scheduling.run_sweep()
        before = len(emails())
        again = scheduling.run_sweep()
    assert again["closed"] == []
    assert len(emails()) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConvenorSend)) == 2


def test_early_close_by_a_convenor_sends_the_same_notices(ctx, outbox):
    with time_machine.travel(T0, tick=False):
        cast = make_cast()
        bids.close_bid(cast.convenors[0], cast.bid)
        db.session.commit()
    assert len(emails("bid_closed_convenor")) == 2
    assert "was closed before its deadline" in emails("bid_closed_convenor")[0].body_text
    assert len(emails("bid_closed_member")) == 5
    assert "the convenor closed it before the deadline" in emails("bid_closed_member")[0].body_text
    with time_machine.travel(cast.bid.deadline + timedelta(minutes=1), tick=False):
        assert scheduling.run_sweep()["closed"] == []
    assert len(emails("bid_closed_member")) == 5


def test_grace_window_keeps_the_bid_open_for_organisations_that_had_started(ctx, outbox):
    with time_machine.travel(T0, tick=False):
        cast = make_cast(grace_minutes=15)
    deadline = cast.bid.deadline
    values = {
        "amount_pence": 12_000_000,
        "homes": 500,
        "regions": ["NW"],
        "statement": "",
        "status": "confirmed",
        "accept_terms": True,
    }
    # Pledges are saved in requests (the receipt email builds its links from the request).
    with time_machine.travel(deadline + timedelta(minutes=5), tick=False), ctx.test_request_context():
        assert scheduling.run_sweep()["closed"] == []
        bid = _reload(cast.bid)
        assert bid.status == BidStatus.OPEN
        indicative = db.session.merge(cast.indicative)
        pledge = pledges.save_pledge(indicative, bid, values, expected_version=None)
        db.session.commit()
        assert pledge.in_grace is True
        no_pledge = db.session.merge(cast.no_pledge)
        with pytest.raises(pledges.BidNotOpen):
            pledges.save_pledge(no_pledge, bid, values, expected_version=None)
        db.session.rollback()
    with time_machine.travel(deadline + timedelta(minutes=15) - timedelta(seconds=1), tick=False):
        assert scheduling.run_sweep()["closed"] == []
    with time_machine.travel(deadline + timedelta(minutes=15), tick=False):
        assert scheduling.run_sweep()["closed"] == [cast.bid.id]
    by_to = {m.to_address: m.body_text for m in emails("bid_closed_member")}
    assert (
        "Indicative Homes's pledge stands at £120,000 covering 500 homes (confirmed)" in by_to["indicative@example.org"]
    )


def test_catch_up_after_an_outage_closes_and_skips_stale_reminders(ctx, outbox):
    with time_machine.travel(T0, tick=False):
        cast = make_cast()
    # The scheduler was down from T0 until three days after the deadline.
    with time_machine.travel(cast.bid.deadline + timedelta(days=3), tick=False):
        result = scheduling.run_sweep()
    assert result["closed"] == [cast.bid.id]
    assert result["reminders"] == {"sent": 0, "skipped": 3 * 4, "slots": 4, "clashed": 0}
    assert emails("reminder") == []
    slots = db.session.scalars(sa.select(ReminderSlot).order_by(ReminderSlot.slot)).all()
    assert [s.outcome for s in slots] == ["skipped"] * 4
    assert all("The deadline had passed" in s.note for s in slots)
    skipped = db.session.scalars(sa.select(ReminderSend).where(ReminderSend.outcome == "skipped")).all()
    assert {r.kind for r in skipped} == {"not_responded", "not_pledged", "confirm"}
    assert len(emails("bid_closed_convenor")) == 2


def test_upcoming_closes_lists_bids_closing_before_the_next_sweep(ctx):
    with time_machine.travel(T0, tick=False):
        cast = make_cast(grace_minutes=10)
    with time_machine.travel(cast.bid.deadline, tick=False):
        assert scheduling.upcoming_closes(timedelta(minutes=5)) == []
        ends = cast.bid.deadline + timedelta(minutes=10)
        assert scheduling.upcoming_closes(timedelta(minutes=11)) == [(cast.bid.id, ends)]


def test_an_organisation_already_told_of_the_close_is_not_told_again(ctx, outbox):
    with time_machine.travel(T0, tick=False):
        cast = make_cast()
    invitation_id = _accepted_invitation_id(cast.confirmed)
    db.session.add(
        ReminderSend(bid_id=cast.bid.id, invitation_id=invitation_id, slot="closed@2026-03-12T09:00:00Z", kind="closed")
    )
    db.session.commit()
    with time_machine.travel(cast.bid.deadline, tick=False):
        scheduling.run_sweep()
    # The batch met the earlier claim, fell back to one claim per organisation, and told the other three.
    assert "confirmed@example.org" not in recipients("bid_closed_member")
    assert len(recipients("bid_closed_member")) == 4


def _accepted_invitation_id(user):
    from app.models import Invitation

    return db.session.scalar(sa.select(Invitation.id).where(Invitation.organisation_id == user.organisation_id))


def test_the_sweep_drains_the_outbox_in_batches(ctx, outbox, monkeypatch):
    from app import notifications
    from app.models import EmailMessage, EmailStatus

    monkeypatch.setattr(scheduling, "BATCH", 3)
    with time_machine.travel(T0, tick=False):
        for n in range(7):
            db.session.add(EmailMessage(to_address=f"r{n}@example.org", subject="s", body_text="b", kind="test"))
        db.session.commit()
        assert scheduling.drain_outbox(30) == (7, 0)
    assert len(outbox) == 7
    assert db.session.scalars(sa.select(EmailMessage.status).distinct()).all() == [EmailStatus.SENT]
    db.session.rollback()  # end the read: on SQLite it holds the write lock the sender needs
    assert notifications.send_pending() == (0, 0)


def test_reopening_tells_everyone_and_the_second_close_is_announced_again(ctx, outbox):
    with time_machine.travel(T0, tick=False):
        cast = make_cast()
    first = cast.bid.deadline
    with time_machine.travel(first + timedelta(minutes=1), tick=False):
        scheduling.run_sweep()
    second = first + timedelta(days=3)
    with time_machine.travel(first + timedelta(hours=1), tick=False), ctx.test_request_context():
        bid = _reload(cast.bid)
        bids.extend_deadline(cast.convenors[0], bid, second)
        db.session.commit()
    reopened = emails("deadline_changed")
    # The two invitees still to answer (the one that had expired is waiting again: no invitation expires before
    # the new deadline) and the five member users.
    assert len(reopened) == 7
    assert all(
        m.subject.startswith(f"Reopened: {cast.bid.title} now closes 9am on Sunday 15 March 2026") for m in reopened
    )
    assert _reload(cast.bid).status == BidStatus.OPEN
    with time_machine.travel(second, tick=False):
        assert scheduling.run_sweep()["closed"] == [cast.bid.id]
    assert len(emails("bid_closed_convenor")) == 4 and len(emails("bid_closed_member")) == 10
    slots = set(db.session.scalars(sa.select(ReminderSend.slot).where(ReminderSend.kind == "closed")))
    assert slots == {"closed@2026-03-12T09:00:00Z", "closed@2026-03-15T09:00:00Z"}


def test_a_failed_email_is_retried_by_a_later_sweep_not_lost(ctx, outbox, monkeypatch):
    from flask_mailman import EmailMultiAlternatives

    from app import notifications
    from app.models import EmailMessage, EmailStatus

    real_send = EmailMultiAlternatives.send

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    with time_machine.travel(T0, tick=False):
        bid = BidFactory()
        notifications.queue(
            "someone@example.org", "reminder", "Hello", bid=bid, reminder_kind="manual", link="/x", left="1 day"
        )
        db.session.commit()  # the after-commit send fails
    message = db.session.scalar(sa.select(EmailMessage))
    assert (message.status, message.attempts, "mail server down" in message.last_error) == (
        EmailStatus.PENDING,
        1,
        True,
    )
    monkeypatch.setattr(EmailMultiAlternatives, "send", real_send)
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        assert scheduling.run_sweep()["emails_sent"] == 0  # backing off
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        assert scheduling.run_sweep()["emails_sent"] == 1
    assert [m.to for m in outbox] == [["someone@example.org"]]


def test_sweep_sends_pending_email_on_a_file_database_without_waiting_for_its_own_lock(ctx, outbox):
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
