"""Reminders: send the convenor's own reminder now to a group, as the Reminders page does."""

from __future__ import annotations

from typing import Annotated

from app.api import responses as r
from app.api.auth import caller
from app.api.blueprint import bp
from app.api.fields import Body, Text, body_config, field
from app.api.helpers import ID, convenor_bid, ok
from app.api.operations import describe, reply
from app.api.validation import read_body
from app.services import reminders

GROUP_HELP = (
    "Who to remind: not_responded (invited, no answer yet), not_pledged (joined, no pledge), confirm (pledge "
    "still indicative), or invitation:<id> for one organisation."
)


class ReminderBody(Body, total=False):
    """The message and who gets it."""

    __pydantic_config__ = body_config("group", "message")

    group: Annotated[Text, field(GROUP_HELP, max_length=40)]
    message: Annotated[Text, field("The message, above the usual reminder.", max_length=reminders.MAX_MESSAGE)]
    send_id: Annotated[
        Text,
        field(
            "A UUID chosen by the caller: sending again with the same one sends nothing twice. "
            "Leave it out to send every time.",
            max_length=36,
        ),
    ]


@bp.post(f"/bids/<{ID}:bid_id>/reminders")
@describe(
    "sendReminder",
    "Send a reminder now to a group of the bid's organisations (convenors; the bid must be open).",
    tag="bids",
    body=ReminderBody,
    replies={200: reply(r.ReminderSent, "Who was reminded.")},
    errors=(403, 404, 409),
)
def send_reminder(bid_id: int):
    bid = convenor_bid(bid_id)
    values = read_body()
    send_id = values.get("send_id") or reminders.new_send_id()
    sent, already = reminders.send_now(
        caller(), bid, group=values.get("group", ""), message=values.get("message", ""), send_id=send_id
    )
    return ok({"group": values.get("group"), "sent": sent, "already_sent": already, "send_id": send_id})
