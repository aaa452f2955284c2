"""Sending the outbox: each message claimed by one conditional UPDATE, sent, and its outcome recorded.

Two kinds of sender run the same ``send_pending``: the scheduler's sweep (every message that is due), and
each process's background sender, woken after a commit that queued messages (``submit``: the request that
queued them has already answered). Neither holds a database lock while the mail server answers.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app
from flask_mailman import EmailMultiAlternatives
from sqlalchemy.orm import Session

from app.database import is_locked_error, reading, retry_when_locked
from app.extensions import db, mail
from app.infra import clock, units
from app.models import EmailMessage, EmailStatus

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
#: how long a claimed message is left to its sender before another may try it
SEND_LEASE = timedelta(minutes=10)
#: recording a sent message is retried until this long before its lease ends (see ``_record``)
MARK_MARGIN = timedelta(minutes=1)

_TABLE = EmailMessage.__table__
#: what a claim reads back (RETURNING): the message as the mail server gets it
_SENT_COLUMNS = [
    _TABLE.c[name]
    for name in ("id", "message_id", "to_address", "reply_to", "subject", "body_text", "body_html", "attempts")
]


def send_pending(ids: list[int] | None = None, *, limit: int = 200) -> tuple[int, int]:
    """Send queued messages (these ids, or every one that is due). Returns (sent, failed).

    Uses its own session so it can run beside a request's. Each message is claimed by one conditional UPDATE
    (``_claim``: still pending and due → due again a lease ahead), committed at once; only the sender whose
    update matched sends it. So two senders at once (the scheduler's sweep and a web process's background
    sender) never send one message twice, and no lock is held while the mail server answers. Once the server
    has accepted it, the message is marked sent in the transaction that claims the next one (one write
    transaction per message, not two; ``_claim``), or in one of its own after the last, retried while the
    database is briefly unavailable (``_record``): a failed mark never leads to a second send. A sender that dies
    between the server's acceptance and the mark (the one message it has in flight) leaves that message to be
    sent again once the lease has run out, with the same Message-ID.

    The messages of one call go over one connection to the mail server (``Mailer``), not one each.
    """
    with Session(db.engine, expire_on_commit=False) as session, Mailer() as mailer:
        if ids is None:
            due = (
                sa.select(EmailMessage.id)
                .where(EmailMessage.status == EmailStatus.PENDING, EmailMessage.next_attempt_at <= clock.now())
                .order_by(EmailMessage.id)
                .limit(limit)
            )
            with reading():  # only the claims and the results below take SQLite's write lock, each briefly
                message_ids = list(session.scalars(due))
            units.end_read(session)
        else:
            message_ids = list(ids)  # the claim skips any that are not (or no longer) pending and due
        sent = failed = 0
        outcome: Outcome | None = None  # the last message's, not yet written
        for message_id in message_ids:
            try:
                message, outcome = _claim(session, message_id, outcome), None
            except sa.exc.OperationalError as exc:  # database unavailable: the rest wait for the next sweep
                outcome = None  # written on its own by _claim before its claim alone failed
                if ids is not None and is_locked_error(exc):
                    raise  # the background sender waits for the lock (retry_when_locked) instead
                log.warning("could not claim email %s: %s", message_id, exc)
                break
            if message is None:
                continue
            claimed_at = clock.now()
            try:
                _deliver(message, mailer)
            except Exception as exc:  # any transport error: record it, retry later with back-off
                failed += 1
                attempts = message.attempts + 1
                values = {"attempts": attempts, "last_error": f"{type(exc).__name__}: {exc}"[:2000]}
                if attempts >= MAX_ATTEMPTS:
                    values["status"] = EmailStatus.FAILED
                else:
                    values["next_attempt_at"] = claimed_at + timedelta(minutes=2**attempts)
                log.warning("email %s to %s failed: %s", message.id, message.to_address, exc)
            else:
                sent += 1
                values = {
                    "attempts": message.attempts + 1,
                    "status": EmailStatus.SENT,
                    "sent_at": clock.now(),
                    "last_error": None,
                }
            outcome = Outcome(message.id, message.message_id, values, claimed_at)
        if outcome is not None:
            _record(session, outcome)
    return sent, failed


@dataclass(frozen=True)
class Outcome:
    """What one attempt at a message came to, as the values to write (plain values, not the row: a rollback
    expires loaded rows, and reading one again would need the database that just failed)."""

    message_id: int
    message_ref: str
    values: dict
    claimed_at: datetime

    def update(self) -> sa.Update:
        return (
            sa.update(EmailMessage)
            .where(EmailMessage.id == self.message_id)
            .values(**self.values)
            .execution_options(synchronize_session=False)
        )


def _claim(session: Session, message_id: int, previous: Outcome | None = None) -> sa.Row | None:
    """Take one due message for this sender for a lease: one conditional UPDATE that returns the message,
    committed at once. None if another sender has it (or it is sent, or not due).

    ``previous`` (the outcome of the message sent before) is written first in the same transaction. If that
    transaction fails, the outcome is written on its own (``_record``, retried) and the claim tried alone, as
    it would have been without it."""
    now = clock.now()  # now, not the batch's start: a long batch must not take an already-expired lease
    try:
        with units.unit(session):
            if previous is not None:
                session.execute(previous.update())
            return session.execute(
                sa.update(EmailMessage)
                .where(
                    EmailMessage.id == message_id,
                    EmailMessage.status == EmailStatus.PENDING,
                    EmailMessage.next_attempt_at <= now,
                )
                .values(next_attempt_at=now + SEND_LEASE)
                .returning(*_SENT_COLUMNS)
                .execution_options(synchronize_session=False)
            ).first()
    except sa.exc.OperationalError:
        if previous is None:
            raise
    _record(session, previous)
    return _claim(session, message_id)


class Mailer:
    """One connection to the mail server for a run of ``send_pending``: opened for its first message, reused for
    the next ones, and closed at the end (``with Mailer() as mailer``).

    Opening an SMTP connection (TCP, greeting, EHLO, and STARTTLS and AUTH where configured) costs more than
    sending a message over it, so a batch of reminders pays for it once. After any failure the connection is
    dropped and the next message opens a new one, so one refused message or broken connection does not fail
    the rest. ``MAIL_MESSAGES_PER_CONNECTION`` bounds the messages sent over one connection (servers limit
    them); the other backends (files in development, memory in tests) take one connection per message, so a
    development outbox keeps one file per email.
    """

    def __init__(self) -> None:
        smtp = current_app.extensions["mailman"].backend == "smtp"
        self.per_connection = max(int(current_app.config["MAIL_MESSAGES_PER_CONNECTION"]), 1) if smtp else 1
        self._connection = None
        self._sent = 0

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def send(self, email: EmailMultiAlternatives) -> None:
        if self._connection is None or self._sent >= self.per_connection:
            self.close()
            connection = mail.get_connection()
            connection.open()
            self._connection, self._sent = connection, 0
        email.connection = self._connection
        try:
            email.send()
        except Exception:
            self.close(broken=True)
            raise
        self._sent += 1

    def close(self, *, broken: bool = False) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.close()
        except Exception as exc:  # the messages are sent or recorded as failed already; nothing depends on QUIT
            if not broken:
                log.warning("closing the mail server connection failed: %s", exc)


def _deliver(message, mailer: Mailer) -> None:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[message.to_address],
        headers={"Message-ID": message.message_id},
        reply_to=[message.reply_to] if message.reply_to else None,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    mailer.send(email)


def _record(session: Session, outcome: Outcome) -> bool:
    """Write the outcome of one attempt in its own short transaction, retrying while the database is locked.

    Retries until shortly before the message's lease runs out (after that another sender may take it, so
    there is nothing left to protect). Returns whether it was written.
    """
    lease_left = outcome.claimed_at + SEND_LEASE - MARK_MARGIN - clock.now()
    give_up = time.monotonic() + max(lease_left.total_seconds(), 0.0)
    pause = 0.05
    while True:
        try:
            with units.unit(session):
                session.execute(outcome.update())
            return True
        except sa.exc.OperationalError as exc:  # "database is locked", a dropped connection: try again
            if time.monotonic() + pause >= give_up:
                log.error(
                    "could not record email %s (%s) as %s: %s",
                    outcome.message_id,
                    outcome.message_ref,
                    outcome.values,
                    exc,
                )
                return False
            log.warning("recording email %s failed (%s); retrying in %.2fs", outcome.message_id, exc, pause)
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


def send_now(app: Flask, ids: list[int]) -> None:
    """Send these messages in this thread, waiting out a busy database (``retry_when_locked``).

    Never raises: what could not be sent stays in the outbox for the sweep (a claimed one once its lease ends).
    """
    try:
        with app.app_context():
            retry_when_locked(lambda: send_pending(ids))
    except Exception:  # the messages stay in the outbox; the sweep sends them
        log.exception("sending emails %s failed; the scheduler's sweep retries them", ids)


# -------------------------------------------------------------------------------- the background sender
class BackgroundSender:
    """This process's one sender thread: committed requests hand it their messages' ids and answer at once.

    The thread is started when there is work and ends when there is none left, so an idle process has no
    sender thread, and the thread never outlives its work for long. It is not a daemon: a process that is
    exiting (a CLI command, the scheduler) waits for the messages already handed over, rather than leaving
    them claimed until the lease runs out. Each SMTP step is bounded by MAIL_TIMEOUT.
    """

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._work: list[tuple[Flask, list[int]]] = []
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    def submit(self, app: Flask, ids: list[int]) -> None:
        """Hand over messages to send; returns at once (the thread is started if none is running)."""
        if not ids:
            return
        with self._lock:
            if self._pid != os.getpid():  # a forked child inherits the object, not the thread
                self._work, self._thread, self._pid = [], None, os.getpid()
            self._work.append((app, list(ids)))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="email-sender", daemon=False)
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._work:
                    self._thread = None
                    self._lock.notify_all()
                    return
                work, self._work = self._work, []
            # One batch per app, in the order they were handed over: ids queued meanwhile join the next one.
            batches: dict[Flask, list[int]] = {}
            for app, ids in work:
                batches.setdefault(app, []).extend(ids)
            for app, ids in batches.items():
                send_now(app, ids)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until everything handed over has been sent (or given up on); False if ``timeout`` ran out."""
        ends = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            if self._thread is threading.current_thread():
                return True
            while self._thread is not None or self._work:
                left = None if ends is None else ends - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._lock.wait(left)
        return True


sender = BackgroundSender()


def wait_for_sends(timeout: float | None = None) -> bool:
    """Wait until this process's background sender has sent what it was given; False if ``timeout`` ran out."""
    return sender.wait(timeout)
