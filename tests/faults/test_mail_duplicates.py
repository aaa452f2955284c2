"""Email after a crash: a sender killed mid-batch sends again at most the messages it had in flight, each
with the Message-ID stored when it was queued; a database that is locked when a message is marked sent
never leads to a second send."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy import event

from app import notifications
from app.extensions import db
from app.infra import clock
from app.models import EmailMessage, EmailStatus
from tests.conftest import POSTGRES
from tests.factories import BidFactory, member_of
from tests.outbox import locked_while_marking_sent, queue_plain, sender_apps
from tests.smtp import SMTPServer

MESSAGES = 40
SENDERS = 4


@pytest.fixture
def logs(caplog, monkeypatch):
    """caplog for the sender's logger (Alembic's logging set-up disables loggers made before it)."""
    monkeypatch.setattr(logging.getLogger("app.notifications"), "disabled", False)
    caplog.set_level(logging.WARNING)
    return caplog


@pytest.fixture
def smtp_app_for(database_url, tmp_path):
    """An app on the test database that sends through SMTP to a given local port."""
    with sender_apps(database_url, tmp_path) as make:
        yield lambda port: make(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)


def test_the_message_id_is_stored_when_queued_and_sent_as_the_header(ctx, outbox):
    bid = BidFactory()
    db.session.commit()
    user = member_of(bid)
    rendered = notifications.render(user.email, "bid_closed_member", "Bid closed", bid, user=user)
    assert rendered.message_id.startswith("<") and rendered.message_id.endswith("@localhost>")
    notifications.queue_all([rendered])
    other = EmailMessage(to_address="n@example.org", subject="s", body_text="b", kind="test")
    db.session.add(other)
    db.session.commit()  # sent inline after commit (the test configuration does not use a thread)
    stored = db.session.get(EmailMessage, rendered.id)
    assert stored.message_id == rendered.message_id and stored.status == EmailStatus.SENT
    assert [m.extra_headers["Message-ID"] for m in outbox] == [rendered.message_id]
    assert outbox[0].message()["Message-ID"] == rendered.message_id
    # Every row gets its own, including one made without the renderer.
    assert other.message_id and other.message_id != rendered.message_id


def test_a_sender_killed_mid_batch_sends_again_at_most_what_it_had_in_flight(ctx, database_url, smtp_app_for):
    ids = queue_plain(MESSAGES)
    batch = ",".join(map(str, ids))
    with SMTPServer(delay=lambda _message: 0.03) as server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.mail_sender", database_url, str(server.port), str(SENDERS), batch],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=os.getcwd(),
        )
        try:
            assert proc.stdout.readline().strip() == "SENDING", proc.stderr.read()
            deadline = time.monotonic() + 60
            while server.count() < MESSAGES // 3 and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.005)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.stdout.close()
            proc.stderr.close()
        killed_at = clock.now()
        time.sleep(0.2)  # let the server finish with connections the dead process left

        rows = {row.message_id: row for row in db.session.scalars(sa.select(EmailMessage))}
        db.session.remove()
        in_flight = {
            mid for mid, row in rows.items() if row.status == EmailStatus.PENDING and row.next_attempt_at > killed_at
        }
        sent_before = {mid for mid, row in rows.items() if row.status == EmailStatus.SENT}
        received = server.by_message_id()
        assert 0 < len(sent_before) < MESSAGES, "the sender was not killed mid-batch"
        assert len(in_flight) <= SENDERS  # one claim per sender at a time
        assert set(received) <= set(rows), "every copy carries the Message-ID stored for its message"
        assert set(received) - sent_before <= in_flight

        # The lease runs out; the sweep sends what the dead process left, over the same server.
        with smtp_app_for(server.port).app_context():
            with time_machine.travel(killed_at + notifications.SEND_LEASE + timedelta(seconds=1), tick=False):
                notifications.send_pending()
            statuses = set(db.session.scalars(sa.select(EmailMessage.status)))
            db.session.remove()
        assert statuses == {EmailStatus.SENT}
        counts = server.by_message_id()
    assert set(counts) == set(rows), "every message reached the server"
    twice = {mid for mid, n in counts.items() if n > 1}
    assert max(counts.values()) <= 2
    assert twice <= in_flight, "only messages in flight when the process died were sent again"
    print(f"sent before the kill {len(sent_before)}, in flight {len(in_flight)}, received twice {len(twice)}")


def test_a_locked_database_while_marking_sent_does_not_lead_to_a_second_send(ctx, outbox):
    (message_id,) = queue_plain(1)
    with locked_while_marking_sent(3) as locks:
        sent, failed = notifications.send_pending([message_id])
    assert locks["left"] == 0, "the mark was not attempted under the lock"
    assert (sent, failed) == (1, 0)
    row = db.session.get(EmailMessage, message_id)
    assert (row.status, row.attempts, row.last_error) == (EmailStatus.SENT, 1, None)
    db.session.remove()
    assert len(outbox) == 1

    # Long after the lease would have run out, a sweep finds nothing to send again.
    with time_machine.travel(clock.now() + notifications.SEND_LEASE * 2, tick=False):
        assert notifications.send_pending() == (0, 0)
    assert len(outbox) == 1


@pytest.mark.skipif(POSTGRES, reason="SQLite's write lock (the injected lock above covers PostgreSQL)")
def test_sqlite_locked_by_another_writer_while_marking_sent_sends_once(ctx, database_url, smtp_app_for, logs):
    """A real "database is locked": another connection takes SQLite's write lock the moment the mail server
    has the message, and keeps it for a second, past the sender's (shortened) busy timeout."""
    (message_id,) = queue_plain(1)
    holder = sqlite3.connect(sa.make_url(database_url).database, check_same_thread=False, isolation_level=None)
    released = threading.Event()

    def lock_while_accepting(_message) -> float:
        holder.execute("BEGIN IMMEDIATE")
        threading.Timer(1.0, lambda: (holder.execute("COMMIT"), released.set())).start()
        return 0.0

    try:
        with SMTPServer(delay=lock_while_accepting) as server:
            sender = smtp_app_for(server.port)
            with sender.app_context():
                event.listen(db.engine, "connect", _short_busy_timeout)
                db.engine.dispose()  # new connections get the short timeout
                assert notifications.send_pending([message_id]) == (1, 0)
                row = db.session.get(EmailMessage, message_id)
                assert (row.status, row.attempts) == (EmailStatus.SENT, 1)
                db.session.remove()
                with time_machine.travel(clock.now() + notifications.SEND_LEASE * 2, tick=False):
                    assert notifications.send_pending() == (0, 0)
                event.remove(db.engine, "connect", _short_busy_timeout)
                db.engine.dispose()
            assert released.is_set()
            assert server.count() == 1
    finally:
        released.wait(5)
        holder.close()
    assert "database is locked" in logs.text and "retrying" in logs.text


def _short_busy_timeout(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA busy_timeout=100")
