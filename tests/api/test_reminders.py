"""POST /bids/{id}/reminders: the convenor's reminder sent now, as the Reminders page sends it."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, EmailMessage, ReminderSend


def _count(committed, model, *where) -> int:
    return committed(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)))


def test_a_reminder_goes_to_the_group_once_per_send_id(api, world, committed):
    send_id = str(uuid.uuid4())
    body = {"group": "not_pledged", "message": "Please pledge by Friday.", "send_id": send_id}
    first = api.post(f"/bids/{world.bid_id}/reminders", world.convenor, json=body)
    assert first.status_code == 200, first.text
    assert first.json == {"group": "not_pledged", "sent": 1, "already_sent": 0, "send_id": send_id}
    again = api.post(f"/bids/{world.bid_id}/reminders", world.convenor, json=body)
    assert again.json["sent"] == 0 and again.json["already_sent"] == 1
    messages = committed(
        lambda: [
            (m.subject, m.body_text)
            for m in db.session.scalars(sa.select(EmailMessage).where(EmailMessage.kind == "reminder"))
        ]
    )
    assert len(messages) == 1
    assert messages[0][0].startswith("Message from ") and "Please pledge by Friday." in messages[0][1]
    assert _count(committed, AuditEvent, AuditEvent.action == "reminder.manual") == 1


def test_without_a_send_id_each_call_sends(api, world):
    body = {"group": "not_pledged", "message": "Nudge."}
    first = api.post(f"/bids/{world.bid_id}/reminders", world.convenor, json=body)
    second = api.post(f"/bids/{world.bid_id}/reminders", world.convenor, json=body)
    assert first.json["sent"] == second.json["sent"] == 1
    assert first.json["send_id"] != second.json["send_id"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"group": "not_pledged"}, "message", "Write the message to send."),
        ({"group": "not_pledged", "message": "   "}, "message", "Write the message to send."),
        ({"group": "not_pledged", "message": "x" * 2001}, "message", "Keep the message to 2,000 characters"),
        ({"group": "everyone", "message": "Hi"}, "group", "Choose who to remind."),
        ({"message": "Hi"}, "group", "Choose who to remind."),
        ({"group": "invitation:999999", "message": "Hi"}, "group", "That organisation cannot be reminded"),
        ({"group": "confirm", "message": "Hi"}, "group", "Nobody is in that group at the moment"),
        ({"group": "not_pledged", "message": "Hi", "send_id": "again"}, "send_id", "The form is out of date"),
        ({"group": "not_pledged", "message": 5}, "message", ""),
        ({"group": "not_pledged", "message": "Hi", "to": "all"}, "to", ""),
    ],
)
def test_bad_reminders_are_refused_naming_the_field_and_nothing_is_sent(api, world, committed, body, field, message):
    response = api.post(f"/bids/{world.bid_id}/reminders", world.convenor, json=body)
    assert response.status_code == 422, response.text
    assert field in response.json["errors"]
    assert message in response.json["errors"][field][0]
    assert _count(committed, EmailMessage, EmailMessage.kind == "reminder") == 0
    assert _count(committed, ReminderSend) == 0


@pytest.mark.parametrize(("who", "status"), [("member", 403), ("outsider", 404), ("other_convenor", 404), (None, 401)])
def test_only_the_bids_convenors_send_reminders(api, world, committed, who, status):
    token = getattr(world, who) if who else None
    response = api.post(f"/bids/{world.bid_id}/reminders", token, json={"group": "not_pledged", "message": "Hi"})
    assert response.status_code == status
    assert _count(committed, EmailMessage, EmailMessage.kind == "reminder") == 0


def test_a_closed_bid_sends_no_reminders(api, world, committed):
    assert api.post(f"/bids/{world.bid_id}/close", world.convenor).status_code == 200
    response = api.post(
        f"/bids/{world.bid_id}/reminders", world.convenor, json={"group": "not_pledged", "message": "Hi"}
    )
    assert response.status_code == 409
    assert "only be sent while the bid is open" in response.json["detail"]
    assert _count(committed, EmailMessage, EmailMessage.kind == "reminder") == 0
