"""The sweep's batched claims: a key taken once, and a batch that meets a claim already made skips only that one."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.infra import claims
from app.models import ConvenorSend, EmailMessage, Invitation, ReminderSend, ReminderSlot
from app.services import reminder_plan, reminders, scheduling
from tests.services.scheduler_helpers import T0, make_cast, recipients


@pytest.fixture(autouse=True)
def _no_digest(app, monkeypatch):
    monkeypatch.setitem(app.config, "DIGEST_HOUR", 24)


def _orphan_emails() -> list[int]:
    """Queued emails that no claim names: what a clash must never leave behind."""
    claimed = sa.union(
        sa.select(ReminderSend.email_id).where(ReminderSend.email_id.is_not(None)),
        sa.select(ConvenorSend.email_id).where(ConvenorSend.email_id.is_not(None)),
    ).subquery()
    return list(db.session.scalars(sa.select(EmailMessage.id).where(EmailMessage.id.not_in(sa.select(claimed)))))


def _invitation_of(user, bid) -> Invitation:
    return db.session.scalar(
        sa.select(Invitation).where(Invitation.bid_id == bid.id, Invitation.organisation_id == user.organisation_id)
    )


def test_claim_row_takes_a_key_once(ctx):
    with time_machine.travel(T0, tick=False):
        cast = make_cast()
        values = {"bid_id": cast.bid.id, "slot": "plan:60@x", "outcome": "sent", "note": None}
        assert claims.claim_row(ReminderSlot.__table__, values) is True
        assert claims.claim_row(ReminderSlot.__table__, {**values, "outcome": "skipped"}) is False
        db.session.commit()
    rows = db.session.scalars(sa.select(ReminderSlot).where(ReminderSlot.slot == "plan:60@x")).all()
    assert [r.outcome for r in rows] == ["sent"]  # the second claim changed nothing


def test_claim_rows_says_which_keys_it_wrote(ctx):
    with time_machine.travel(T0, tick=False):
        cast = make_cast()
        users = [cast.convenors[0].id, cast.convenors[1].id]
        row = {"bid_id": cast.bid.id, "key": "k", "email_id": None, "created_at": T0}
        assert claims.claim_rows(ConvenorSend.__table__, [{**row, "user_id": users[0]}], "user_id") == {users[0]}
        both = [{**row, "user_id": u} for u in users]
        assert claims.claim_rows(ConvenorSend.__table__, both, "user_id") == {users[1]}
        assert claims.claim_rows(ConvenorSend.__table__, [], "user_id") == set()
        db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConvenorSend)) == 2


def test_a_slot_whose_batch_meets_an_earlier_claim_skips_only_that_invitation(ctx, outbox):
    with time_machine.travel(T0, tick=False):
        cast = make_cast()
    moment = cast.bid.deadline - timedelta(days=7)
    key = reminder_plan.slot_key(7 * 1440, cast.bid.deadline)
    # As if another process had reminded the indicative organisation for this slot (but not claimed the slot).
    indicative = _invitation_of(cast.indicative, cast.bid)
    db.session.add(
        ReminderSend(bid_id=cast.bid.id, invitation_id=indicative.id, slot=key, kind="confirm", created_at=T0)
    )
    db.session.commit()
    with time_machine.travel(moment, tick=False):
        counts = reminders.send_due()
    assert counts == {"sent": 2, "skipped": 0, "slots": 1, "clashed": 0}
    assert recipients("reminder") == ["nopledge@example.org", "waiting@example.org"]
    claimed = db.session.scalars(sa.select(ReminderSend.invitation_id).where(ReminderSend.slot == key)).all()
    assert sorted(claimed) == sorted([cast.waiting.id, indicative.id, _invitation_of(cast.no_pledge, cast.bid).id])
    assert _orphan_emails() == []
    # The waiting invitee's reissued link is stored once, with one audit row (the batch that clashed left none).
    rows = db.session.execute(
        sa.text("SELECT count(*) FROM invitation_links WHERE invitation_id = :i AND reason = 'reminder'"),
        {"i": cast.waiting.id},
    ).scalar_one()
    audits = db.session.execute(
        sa.text("SELECT count(*) FROM audit_events WHERE action = 'invitation.link_reissued' AND subject_id = :i"),
        {"i": cast.waiting.id},
    ).scalar_one()
    assert (rows, audits) == (1, 1)


def test_closing_skips_the_notices_already_claimed_and_leaves_no_unclaimed_email(ctx, outbox):
    with time_machine.travel(T0, tick=False):
        cast = make_cast()
    key = f"closed@{reminder_plan.deadline_key(cast.bid.deadline)}"
    no_pledge = _invitation_of(cast.no_pledge, cast.bid)
    db.session.add(ConvenorSend(bid_id=cast.bid.id, user_id=cast.convenors[0].id, key=key, created_at=T0))
    db.session.add(ReminderSend(bid_id=cast.bid.id, invitation_id=no_pledge.id, slot=key, kind="closed"))
    db.session.commit()
    with time_machine.travel(cast.bid.deadline + timedelta(seconds=1), tick=False):
        assert scheduling.close_due_bids() == [cast.bid.id]
    assert recipients("bid_closed_convenor") == ["deputy@convenor.example"]
    assert recipients("bid_closed_member") == [
        "confirmed@example.org",
        "indicative@example.org",
        "withdrawn@example.org",
    ]
    assert _orphan_emails() == []
    # One claim per organisation and per convenor, the earlier ones untouched.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConvenorSend)) == 2
    closed = db.session.scalars(sa.select(ReminderSend).where(ReminderSend.slot == key)).all()
    assert len(closed) == 4 and len({r.invitation_id for r in closed}) == 4
