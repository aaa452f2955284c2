"""Planned reminders: each slot fires once, for the right people, with the right words; re-planning; catch-up."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.models import Bid, InvitationStatus, PledgeStatus, ReminderSend, ReminderSlot
from app.services import bids, invitation_links, reminders
from tests.factories import BidFactory, InvitationFactory
from tests.services.scheduler_helpers import T0, emails, make_cast, recipients

CHASED = ["indicative@example.org", "nopledge@example.org", "waiting@example.org"]


@pytest.fixture(autouse=True)
def _no_digest(app, monkeypatch):
    monkeypatch.setitem(app.config, "DIGEST_HOUR", 24)


@pytest.fixture
def cast(ctx):
    with time_machine.travel(T0, tick=False):
        return make_cast()


def sweep_at(moment):
    with time_machine.travel(moment, tick=False):
        return reminders.send_due()


def test_each_slot_fires_once_for_the_right_people_only(cast):
    deadline = cast.bid.deadline
    assert sweep_at(deadline - timedelta(days=7, seconds=1))["sent"] == 0
    assert sweep_at(deadline - timedelta(days=7)) == {"sent": 3, "skipped": 0, "slots": 1, "clashed": 0}
    assert recipients("reminder") == CHASED
    assert sweep_at(deadline - timedelta(days=7) + timedelta(minutes=1))["sent"] == 0
    assert sweep_at(deadline - timedelta(days=2))["sent"] == 3
    assert len(emails("reminder")) == 6
    rows = db.session.scalars(sa.select(ReminderSend).order_by(ReminderSend.id)).all()
    assert [r.slot for r in rows] == ["plan:10080@2026-03-12T09:00:00Z"] * 3 + ["plan:2880@2026-03-12T09:00:00Z"] * 3
    assert all(r.outcome == "sent" and r.email_id for r in rows)


def test_each_email_says_what_to_do_how_long_is_left_and_links_to_the_right_page(cast, client):
    sweep_at(cast.bid.deadline - timedelta(days=2))
    by_to = {m.to_address: m for m in emails("reminder")}
    waiting = by_to["waiting@example.org"]
    assert waiting.subject == f"Reminder: you have not yet responded to {cast.bid.title} (2 days left)"
    assert "invitation for Waiting Homes to pledge" in waiting.body_text
    assert "Pledges close at 9am on Thursday 12 March 2026: 2 days left." in waiting.body_text
    token = re.search(r"http://localhost/invitations/(\S+)", waiting.body_text).group(1)
    with time_machine.travel(cast.bid.deadline - timedelta(days=2), tick=False):
        assert invitation_links.read_token(token).id == cast.waiting.id  # the fresh link works
    assert f'href="http://localhost/invitations/{token}"' in waiting.body_html
    pledge_page = f"http://localhost/bids/{cast.bid.id}/pledge"
    nopledge = by_to["nopledge@example.org"]
    assert nopledge.subject == f"Reminder: your organisation has not yet pledged to {cast.bid.title} (2 days left)"
    assert "No Pledge Homes has joined" in nopledge.body_text and pledge_page in nopledge.body_text
    confirm = by_to["indicative@example.org"]
    assert confirm.subject == f"Reminder: please confirm your pledge to {cast.bid.title} (2 days left)"
    assert "Indicative Homes's pledge of £100,000" in confirm.body_text and pledge_page in confirm.body_text


def test_nobody_who_has_done_the_thing_is_chased(cast):
    sweep_at(cast.bid.deadline - timedelta(days=7))
    cast.waiting.status = InvitationStatus.DECLINED
    from app.models import Pledge

    db.session.execute(
        sa.update(Pledge)
        .where(Pledge.organisation_id == cast.indicative.organisation_id)
        .values(status=PledgeStatus.CONFIRMED)
    )
    db.session.commit()
    assert sweep_at(cast.bid.deadline - timedelta(days=2)) == {"sent": 1, "skipped": 0, "slots": 1, "clashed": 0}
    assert recipients("reminder") == sorted([*CHASED, "nopledge@example.org"])


def test_an_extension_re_plans_and_past_slots_are_not_sent_late(cast, ctx):
    deadline = cast.bid.deadline
    sweep_at(deadline - timedelta(days=7))
    sweep_at(deadline - timedelta(days=2))
    new_deadline = deadline + timedelta(days=2)
    with time_machine.travel(deadline - timedelta(hours=30), tick=False), ctx.test_request_context():
        bid = db.session.get(Bid, cast.bid.id)
        bids.extend_deadline(cast.convenors[0], bid, new_deadline)
        db.session.commit()
    # Everyone still in the bid is told: the invitees with a further link, every member user. The invitation
    # that had expired is waiting again: no invitation expires before the (new) deadline and its grace window.
    assert recipients("deadline_changed") == [
        "colleague@example.org",
        "confirmed@example.org",
        "expired@example.org",
        "indicative@example.org",
        "nopledge@example.org",
        "waiting@example.org",
        "withdrawn@example.org",
    ]
    told = {m.to_address: m.body_text for m in emails("deadline_changed")}
    assert "Pledges now close at 9am on Saturday 14 March 2026" in told["waiting@example.org"]
    assert "the previous deadline was 9am on Thursday 12 March 2026" in told["waiting@example.org"]
    assert "/invitations/" in told["waiting@example.org"]
    # The new deadline's 7-day slot had already passed when it was set: recorded as skipped, never sent.
    skipped = db.session.scalar(sa.select(ReminderSlot).where(ReminderSlot.slot == "plan:10080@2026-03-14T09:00:00Z"))
    assert skipped.outcome == "skipped" and "not sent late" in skipped.note
    # The old deadline's 24-hour moment passes quietly; the new 2-day slot fires at its own moment.
    assert sweep_at(deadline - timedelta(hours=24))["sent"] == 0
    # Chased again: the three as before and the invitee whose invitation the extension kept waiting.
    assert sweep_at(new_deadline - timedelta(days=2)) == {"sent": 4, "skipped": 0, "slots": 1, "clashed": 0}
    latest = db.session.scalars(sa.select(ReminderSend).where(ReminderSend.slot.like("plan:2880@2026-03-14%"))).all()
    assert len(latest) == 4
    assert "(2 days left)" in emails("reminder")[-1].subject
    assert len(emails("reminder")) == 10


def test_catch_up_after_an_outage_sends_what_still_makes_sense_and_records_the_rest(cast):
    deadline = cast.bid.deadline
    # Down from T0 until 30 hours before the deadline: the 7-day slot is stale, the 2-day one still fits.
    assert sweep_at(deadline - timedelta(hours=30)) == {"sent": 3, "skipped": 3, "slots": 2, "clashed": 0}
    seven = db.session.scalar(sa.select(ReminderSlot).where(ReminderSlot.slot.like("plan:10080@%")))
    assert seven.outcome == "skipped"
    assert seven.note == "Only 1 day 6 hours was left when this 7 days reminder came up, so it was not sent."
    # Down again until an hour before: the 24-hour slot is stale, the 2-hour one is sent.
    assert sweep_at(deadline - timedelta(hours=1)) == {"sent": 3, "skipped": 3, "slots": 2, "clashed": 0}
    assert "(60 minutes left)" in emails("reminder")[-1].subject
    assert len(emails("reminder")) == 6
    skipped = db.session.scalars(sa.select(ReminderSend).where(ReminderSend.outcome == "skipped")).all()
    assert len(skipped) == 6 and all(r.email_id is None for r in skipped)


def test_of_several_fitting_slots_only_the_latest_is_sent(ctx):
    with time_machine.travel(T0, tick=False):
        cast = make_cast(reminder_plan=[3000, 2880])
    assert sweep_at(cast.bid.deadline - timedelta(minutes=2870)) == {"sent": 3, "skipped": 3, "slots": 2, "clashed": 0}
    first = db.session.scalar(sa.select(ReminderSlot).where(ReminderSlot.slot.like("plan:3000@%")))
    assert first.note == "Superseded by the 2 days reminder due at the same time."


def test_people_invited_after_a_slot_are_not_chased_by_it(ctx):
    with time_machine.travel(T0, tick=False):
        bid = BidFactory(deadline=T0 + timedelta(hours=30))
        InvitationFactory(bid=bid, email="new@example.org")
        db.session.commit()
    # The 2-day slot (18 hours before the invitation) is due at once, but the invitation is the reminder.
    assert sweep_at(T0 + timedelta(minutes=1)) == {"sent": 0, "skipped": 2, "slots": 2, "clashed": 0}
    notes = db.session.scalars(sa.select(ReminderSend.note)).all()
    assert "Invited after this reminder's moment, so the invitation itself was the reminder." in notes
    assert sweep_at(T0 + timedelta(hours=6))["sent"] == 1  # the 24-hour slot


def test_closed_and_cancelled_bids_are_not_chased(cast):
    db.session.execute(sa.update(Bid).values(status="cancelled"))
    db.session.commit()
    assert sweep_at(cast.bid.deadline - timedelta(days=2)) == {"sent": 0, "skipped": 0, "slots": 0, "clashed": 0}


# -- send a reminder now ------------------------------------------------------------------------------------


def test_send_now_to_a_group_with_the_convenors_message_once_per_form(cast, ctx):
    send_id = reminders.new_send_id()
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        sent = reminders.send_now(
            cast.convenors[0], cast.bid, group="not_responded", message="Board meets Tuesday.", send_id=send_id
        )
        db.session.commit()
        again = reminders.send_now(
            cast.convenors[0], cast.bid, group="not_responded", message="Board meets Tuesday.", send_id=send_id
        )
        db.session.commit()
    assert sent == (1, 0) and again == (0, 1)
    (message,) = emails("reminder")
    assert message.to_address == "waiting@example.org"
    assert message.subject.startswith(f"Message from {cast.bid.organisation.name}: {cast.bid.title} (9 days left)")
    assert "Board meets Tuesday." in message.body_text and "/invitations/" in message.body_text
    row = db.session.scalar(sa.select(ReminderSend))
    assert row.kind == "manual" and row.slot == f"manual:{send_id}"


def test_send_now_to_one_organisation(cast):
    sent = reminders.send_now(
        cast.convenors[1],
        cast.bid,
        group=f"invitation:{db.session.scalar(_accepted_invitation(cast.indicative))}",
        message="Can you confirm?",
        send_id=reminders.new_send_id(),
    )
    db.session.commit()
    assert sent == (1, 0)
    assert recipients("reminder") == ["indicative@example.org"]


def _accepted_invitation(user):
    from app.models import Invitation

    return sa.select(Invitation.id).where(Invitation.organisation_id == user.organisation_id)


@pytest.mark.parametrize(
    ("group", "message", "send_id", "field", "text"),
    [
        ("not_responded", "", None, "message", "Write the message to send."),
        ("not_responded", "x" * 2001, None, "message", "Keep the message to 2,000 characters or fewer"),
        ("everyone", "Hi", None, "group", "Choose who to remind."),
        ("declined", "Hi", None, "group", "Choose who to remind."),
        ("not_responded", "Hi", "not-a-uuid", "send_id", "The form is out of date."),
    ],
)
def test_send_now_refuses_bad_input_and_sends_nothing(cast, group, message, send_id, field, text):
    with pytest.raises(reminders.ValidationFailed) as caught:
        reminders.send_now(
            cast.convenors[0], cast.bid, group=group, message=message, send_id=send_id or reminders.new_send_id()
        )
    db.session.rollback()
    assert caught.value.errors[field][0].startswith(text)
    assert emails() == [] and db.session.scalar(sa.select(sa.func.count()).select_from(ReminderSend)) == 0


def test_send_now_to_a_declined_organisation_is_refused(cast):
    with pytest.raises(reminders.ValidationFailed) as caught:
        reminders.send_now(
            cast.convenors[0],
            cast.bid,
            group=f"invitation:{cast.declined.id}",
            message="Hi",
            send_id=reminders.new_send_id(),
        )
    assert "cannot be reminded: it declined" in caught.value.errors["group"][0]


def test_send_now_to_one_organisation_that_has_confirmed(cast):
    group = f"invitation:{db.session.scalar(_accepted_invitation(cast.confirmed))}"
    assert reminders.send_now(
        cast.convenors[0], cast.bid, group=group, message="Thank you!", send_id=reminders.new_send_id()
    ) == (1, 0)
    db.session.commit()
    (message,) = emails("reminder")
    assert message.to_address == "confirmed@example.org"
    assert "Thank you!" in message.body_text
    assert (
        f"See the bid and Confirmed Homes's pledge here (log in if asked):\nhttp://localhost/bids/{cast.bid.id}\n"
        in (message.body_text)
    )
    assert "not yet" not in message.body_text


def test_send_now_only_by_the_bids_convenors(cast):
    with pytest.raises(reminders.PermissionDenied):
        reminders.send_now(
            cast.no_pledge, cast.bid, group="not_responded", message="Hi", send_id=reminders.new_send_id()
        )


def test_a_clash_on_one_invitation_does_not_stop_the_others(cast):
    # Another scheduler already claimed the waiting invitation's 7-day reminder (but not the whole slot).
    key = "plan:10080@2026-03-12T09:00:00Z"
    db.session.add(ReminderSend(bid_id=cast.bid.id, invitation_id=cast.waiting.id, slot=key, kind="not_responded"))
    db.session.commit()
    assert sweep_at(cast.bid.deadline - timedelta(days=7)) == {"sent": 2, "skipped": 0, "slots": 1, "clashed": 0}
    assert recipients("reminder") == ["indicative@example.org", "nopledge@example.org"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderSend)) == 3
