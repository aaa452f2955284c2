"""Rendering a batch (bulk.render_many) gives exactly the emails that rendering each one alone gives."""

from __future__ import annotations

import pytest

from app import notifications
from app.notifications.bulk import Letter, render_many
from tests.notifications.test_email_templates import BID

LETTERS = [
    Letter(
        "a@example.org",
        "Reminder: please confirm",
        {
            "reminder_kind": "confirm",
            "name": "Sam <Lee> & Co",
            "organisation_name": "Riverside & <b>Homes</b>",
            "amount_pence": 12_345_00,
            "link": "/bids/7/pledge",
        },
    ),
    Letter(
        "b@example.org",
        "Reminder: not yet responded",
        {
            "reminder_kind": "not_responded",
            "name": None,
            "organisation_name": "Hillside Homes",
            "amount_pence": None,
            "link": "/i/abc?x=1&y=2",
        },
    ),
    Letter(
        "c@example.org",
        "Reminder: please confirm",
        {
            "reminder_kind": "not_pledged",
            "name": "Jo",
            "organisation_name": "Vale Homes",
            "amount_pence": None,
            "link": "/bids/7/pledge",
        },
        reply_to="lead@example.org",
    ),
]


@pytest.mark.parametrize("message", ["", "Board meets on <Friday> & Monday.\nSecond line."])
def test_a_batch_renders_each_email_as_rendering_it_alone_does(ctx, message):
    shared = {"left": "7 days", "message": message, "convening_body": "Community & Housing Alliance"}
    rows = render_many("reminder", BID, LETTERS, **shared)
    assert len(rows) == len(LETTERS)
    for letter, row in zip(LETTERS, rows, strict=True):
        alone = notifications.render(
            letter.to, "reminder", letter.subject, BID, reply_to=letter.reply_to, **shared, **letter.context
        )
        assert row["to_address"] == alone.to_address and row["reply_to"] == alone.reply_to
        assert row["subject"] == alone.subject
        assert row["body_text"] == alone.body_text
        assert row["body_html"] == alone.body_html
        assert (row["kind"], row["bid_id"]) == ("reminder", BID.id)
    assert len({row["message_id"] for row in rows}) == len(rows)
    assert "&lt;b&gt;" in rows[0]["body_html"] and "<b>" in rows[0]["body_text"]  # escaped in HTML only
