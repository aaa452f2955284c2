"""Sending the outbox over SMTP: one connection per batch, a new one after a failure or every
MAIL_MESSAGES_PER_CONNECTION messages; one file per email in development."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app import notifications
from app.extensions import db
from app.infra import clock
from app.models import EmailMessage, EmailStatus
from tests.outbox import locked_while_marking_sent, queue_plain, sender_apps
from tests.smtp import SMTPServer


@pytest.fixture
def sender_app(ctx, database_url, tmp_path):
    """An app on the test database with the given mail settings (its context is entered by the test)."""
    with sender_apps(database_url, tmp_path) as make:
        yield make


def _statuses() -> dict[str, tuple]:
    rows = db.session.execute(
        sa.select(EmailMessage.to_address, EmailMessage.status, EmailMessage.attempts, EmailMessage.last_error)
    ).all()
    db.session.remove()
    return {to: (status, attempts, error) for to, status, attempts, error in rows}


def test_a_batch_goes_over_one_smtp_connection(sender_app):
    ids = queue_plain(5)
    with SMTPServer() as server:
        with sender_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port).app_context():
            assert notifications.send_pending(ids) == (5, 0)
            statuses = _statuses()
        assert server.connections == 1
        assert sorted(r.rcpt_to[0] for r in server.received) == sorted(f"<member{n}@example.org>" for n in range(5))
    assert {s for s, _, _ in statuses.values()} == {EmailStatus.SENT}


def test_a_refused_recipient_fails_alone_and_the_next_message_opens_a_new_connection(sender_app):
    ids = queue_plain(5)
    with SMTPServer(refuse=lambda rcpt: "member1@" in rcpt) as server:
        with sender_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port).app_context():
            started = clock.now()
            assert notifications.send_pending(ids) == (4, 1)
            statuses = _statuses()
            refused = db.session.scalar(sa.select(EmailMessage).where(EmailMessage.to_address == "member1@example.org"))
            retry_at = refused.next_attempt_at
            db.session.remove()
        assert server.connections == 2  # the one that failed is dropped; the rest share the next
        assert server.count() == 4
    status, attempts, error = statuses.pop("member1@example.org")
    assert (status, attempts) == (EmailStatus.PENDING, 1)
    assert "550" in error and "No such mailbox" in error
    assert retry_at > started  # tried again later, with back-off
    assert {s for s, _, _ in statuses.values()} == {EmailStatus.SENT}


def test_each_connection_carries_at_most_the_configured_number_of_messages(sender_app):
    ids = queue_plain(5)
    with SMTPServer() as server:
        settings = {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": server.port}
        with sender_app(**settings, MAIL_MESSAGES_PER_CONNECTION=2).app_context():
            assert notifications.send_pending(ids) == (5, 0)
        assert server.connections == 3
        assert server.count() == 5


def test_a_server_that_cannot_be_reached_fails_each_message_and_sends_none(sender_app):
    ids = queue_plain(3)
    with SMTPServer() as server:
        port = server.port  # nothing listens there once the server has stopped
    with sender_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port).app_context():
        assert notifications.send_pending(ids) == (0, 3)
        statuses = _statuses()
    assert {(s, a) for s, a, _ in statuses.values()} == {(EmailStatus.PENDING, 1)}


def test_development_files_keep_one_email_per_file(sender_app, tmp_path):
    ids = queue_plain(3)
    folder = tmp_path / "outbox"
    with sender_app(MAIL_BACKEND="file", MAIL_FILE_PATH=str(folder)).app_context():
        assert notifications.send_pending(ids) == (3, 0)
    files = sorted(Path(folder).iterdir())
    assert len(files) == 3
    assert sorted(f.read_text().count("Subject: Receipt") for f in files) == [1, 1, 1]


def test_each_message_costs_one_write_transaction(ctx, outbox):
    """A message's outcome is written with the claim of the next one: five messages, six commits (not ten)."""
    ids = queue_plain(5)
    commits = []

    def committed(conn) -> None:
        commits.append(conn)

    event.listen(db.engine, "commit", committed)
    try:
        assert notifications.send_pending(ids) == (5, 0)
    finally:
        event.remove(db.engine, "commit", committed)
    assert len(commits) == 6
    assert len(outbox) == 5
    assert {s for s, _, _ in _statuses().values()} == {EmailStatus.SENT}


def test_a_lock_while_writing_an_outcome_with_the_next_claim_sends_each_message_once(ctx, outbox):
    ids = queue_plain(3)
    with locked_while_marking_sent(2) as locks:
        assert notifications.send_pending(ids) == (3, 0)
    assert locks["left"] == 0
    assert len(outbox) == 3
    assert {(s, a, e) for s, a, e in _statuses().values()} == {(EmailStatus.SENT, 1, None)}
    # Nothing is left claimed or due: a later sweep sends nothing again.
    assert notifications.send_pending() == (0, 0)
    assert len(outbox) == 3
