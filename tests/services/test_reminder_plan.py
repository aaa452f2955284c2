"""The reminder plan as convenors type it: parsed, checked, saved whole or not at all."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, BidStatus
from app.services import reminder_plan
from app.services.errors import InvalidTransition, PermissionDenied, ValidationFailed
from tests.factories import BidFactory, ConvenorFactory, member_of


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("7d, 2d, 24h, 2h", [10080, 2880, 1440, 120]),
        ("2h,7d", [10080, 120]),
        ("48", [2880]),
        ("90m; 1.5h days", None),
        ("1 day\n 30 minutes", [1440, 30]),
        ("", []),
        (" , ", []),
    ],
)
def test_parses_what_people_type(text, minutes):
    if minutes is None:
        with pytest.raises(ValidationFailed):
            reminder_plan.parse_plan(text)
    else:
        assert reminder_plan.parse_plan(text) == minutes


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("soon", "‘soon’ is not a time before the deadline. Use forms like 7d, 48h or 90m."),
        ("2 weeks", "‘2 weeks’ is not a time before the deadline. Use forms like 7d, 48h or 90m."),
        ("-2h", "‘-2h’: reminders go before the deadline, so give a positive amount (for example 2h)."),
        ("0h", "‘0h’: a reminder must be at least 1 minute before the deadline."),
        ("61d", "‘61d’: a reminder can be at most 60 days before the deadline."),
        ("0.5m", "‘0.5m’: a reminder must be at least 1 minute before the deadline."),
        ("1.01h", "‘1.01h’ is not a whole number of minutes."),
        ("24h, 1d", "‘24h’ and ‘1d’ are the same moment (1 day before); give each reminder once."),
        (", ".join(f"{n}h" for n in range(1, 12)), "Give at most 10 reminders; there are 11."),
    ],
)
def test_refuses_bad_plans_with_a_clear_message(text, message):
    with pytest.raises(ValidationFailed) as caught:
        reminder_plan.parse_plan(text)
    assert message in caught.value.errors["plan"]


def test_every_problem_is_reported_at_once():
    with pytest.raises(ValidationFailed) as caught:
        reminder_plan.parse_plan("soon, -1h, 2h, 120m")
    assert len(caught.value.errors["plan"]) == 3


@pytest.mark.parametrize(("minutes", "text"), [(10080, "7 days"), (90, "1 hour 30 minutes"), (1441, "1 day 1 minute")])
def test_describe(minutes, text):
    assert reminder_plan.describe(minutes) == text


def test_as_text_round_trips():
    plan = [10080, 2880, 1440, 90, 45]
    assert reminder_plan.as_text(plan) == "7d, 2d, 24h, 90m, 45m"
    assert reminder_plan.parse_plan(reminder_plan.as_text(plan)) == plan


def test_set_plan_saves_and_audits(ctx):
    bid = BidFactory()
    reminder_plan.set_plan(bid.created_by, bid, [60, 1440])
    db.session.commit()
    assert bid.reminder_plan == [1440, 60]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "bid.reminder_plan"))
    assert event.before == {"plan": [10080, 2880, 1440, 120]} and event.after == {"plan": [1440, 60]}


@pytest.mark.parametrize("plan", [[-5], [0], ["60"], [True], "60", [60, 60], list(range(1, 12))])
def test_set_plan_refuses_bad_lists_and_keeps_the_old_plan(ctx, plan):
    bid = BidFactory()
    db.session.commit()
    with pytest.raises(ValidationFailed):
        reminder_plan.set_plan(bid.created_by, bid, plan)
    db.session.rollback()
    assert db.session.get(type(bid), bid.id).reminder_plan == [10080, 2880, 1440, 120]


def test_set_plan_only_by_the_bids_convenors_and_only_before_it_closes(ctx):
    bid = BidFactory()
    with pytest.raises(PermissionDenied):
        reminder_plan.set_plan(member_of(bid), bid, [60])
    with pytest.raises(PermissionDenied):
        reminder_plan.set_plan(ConvenorFactory(), bid, [60])
    bid.status = BidStatus.CLOSED
    with pytest.raises(InvalidTransition):
        reminder_plan.set_plan(bid.created_by, bid, [60])


def test_a_slot_added_after_its_moment_is_skipped_not_sent_at_once(ctx):
    from datetime import timedelta

    import time_machine

    from app.models import ReminderSlot
    from app.services import reminders
    from tests.factories import InvitationFactory
    from tests.services.scheduler_helpers import T0

    with time_machine.travel(T0, tick=False):
        bid = BidFactory(deadline=T0 + timedelta(days=2, hours=12))
        InvitationFactory(bid=bid)
        db.session.commit()
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        reminder_plan.set_plan(bid.created_by, bid, [3 * 1440, 2880, 120])
        reminder_plan.set_plan(bid.created_by, bid, [2880, 120])
        reminder_plan.set_plan(bid.created_by, bid, [3 * 1440, 2880, 120])  # re-added: no second row
        db.session.commit()
        assert reminders.send_due()["sent"] == 0
    slot = db.session.scalar(sa.select(ReminderSlot))
    assert slot.slot.startswith("plan:4320@") and slot.outcome == "skipped"
    assert "Added to the plan after its moment had passed" in slot.note
    with time_machine.travel(T0 + timedelta(hours=12), tick=False):
        assert reminders.send_due()["sent"] == 1  # the 2-day slot, at its moment
