"""POST /bids/{id}/invitations with a personal message: in every email, replies to the convenor; bad ones refused."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import EmailMessage, Invitation

ROWS = [{"organisation_name": "Northern Homes", "email": "priya@northern.example"}]


def test_the_message_goes_in_the_invitation_email(api, world, committed):
    response = api.post(
        f"/bids/{world.bid_id}/invitations", world.convenor, json={"invitations": ROWS, "message": "Join us."}
    )
    assert response.status_code == 200, response.text
    text, reply_to = committed(
        lambda: db.session.execute(sa.select(EmailMessage.body_text, EmailMessage.reply_to)).one()
    )
    assert "Join us." in text and reply_to and reply_to in text


def test_a_long_message_is_refused_and_nobody_is_invited(api, world, committed):
    response = api.post(
        f"/bids/{world.bid_id}/invitations", world.convenor, json={"invitations": ROWS, "message": "x" * 2001}
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"message": ["Keep the message to 2,000 characters or fewer (it has 2,001)."]}
    count = committed(
        lambda: db.session.scalar(
            sa.select(sa.func.count()).select_from(Invitation).where(Invitation.email == "priya@northern.example")
        )
    )
    assert count == 0
