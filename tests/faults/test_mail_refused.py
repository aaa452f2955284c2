"""The mail server refusing connections: the pledge still commits, the email waits in the outbox with the
error, the convenor is told on the bid's page, and a later sweep sends it once mail works again."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app import create_app
from app.extensions import db
from app.infra import clock
from app.models import EmailMessage, EmailStatus, Pledge
from app.services import scheduling
from config import TestConfig
from tests.conftest import Browser, csrf_from
from tests.factories import BidFactory, member_of

NOTICE = "could not be sent yet. They are retried automatically."


def _closed_port() -> int:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens on it
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_app(app, database_url, tmp_path):
    """The test app's database, sending through SMTP to a port where nothing listens."""
    refusing = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        UPLOAD_DIR=str(tmp_path / "uploads"),
        PACK_DIR=str(tmp_path / "packs"),
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=_closed_port(),
        MAIL_TIMEOUT=1,
        MAIL_SEND_ASYNC=False,
    )
    yield refusing
    with refusing.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_pledge_commits_while_the_mail_server_refuses_and_the_email_goes_later(smtp_app):
    start = clock.now()
    with smtp_app.app_context():
        bid = BidFactory()
        member = member_of(bid, email="m@example.org")
        db.session.commit()
        bid_id, convenor_email, member_email = bid.id, bid.created_by.email, member.email

    with time_machine.travel(start, tick=False):
        member_browser = Browser(smtp_app.test_client())
        member_browser.login(member_email)
        page = member_browser.get(f"/bids/{bid_id}/pledge").text
        response = member_browser.client.post(
            f"/bids/{bid_id}/pledge",
            data={
                "csrf_token": csrf_from(page),
                "amount": "£250,000",
                "homes": "100",
                "regions": "NW",
                "statement": "Grants.",
                "status": "indicative",
                "accept_terms": "y",
                "version": "0",
            },
        )
    assert response.status_code == 302, response.text[:300]

    with smtp_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Pledge)) == 1
        message = db.session.scalar(sa.select(EmailMessage).where(EmailMessage.to_address == member_email))
        assert message.status == EmailStatus.PENDING
        assert message.attempts == 1
        assert "refused" in message.last_error.lower() or "connect" in message.last_error.lower()
        db.session.rollback()

    convenor = Browser(smtp_app.test_client())
    convenor.login(convenor_email)
    dashboard = convenor.get(f"/bids/{bid_id}")
    assert dashboard.status_code == 200
    assert f"1 email for this bid {NOTICE}" in dashboard.text

    # Mail works again (the locmem backend stands for a mail server that answers); the next sweep sends it.
    state = smtp_app.extensions["mailman"]
    state.backend, state.outbox = "locmem", []
    with smtp_app.app_context(), time_machine.travel(start + timedelta(minutes=3), tick=False):
        result = scheduling.run_sweep()
        assert result["emails_sent"] >= 1
        message = db.session.scalar(sa.select(EmailMessage).where(EmailMessage.to_address == member_email))
        assert (message.status, message.attempts, message.last_error) == (EmailStatus.SENT, 2, None)
        db.session.rollback()
    assert [m.to for m in state.outbox if m.to == [member_email]] == [[member_email]]
    assert NOTICE not in convenor.get(f"/bids/{bid_id}").text
