"""Email: rendered from ``templates/email/<kind>.txt`` and ``.html``, queued in the transaction, sent after commit.

A message that fails to send stays in the outbox with its error and is retried by the scheduler's sweep,
so a mail server that refuses never undoes a change or loses a message.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from email.utils import parseaddr

import sqlalchemy as sa
from flask import current_app, render_template
from flask_mailman import EmailMultiAlternatives
from sqlalchemy.orm import Session

from app.database import is_locked_error, reading, retry_when_locked
from app.extensions import db
from app.infra import clock, sweeps, units
from app.infra.after_commit import after_commit
from app.models import Bid, EmailMessage, EmailStatus
from app.models.outbox import new_message_id

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
#: how long a claimed message is left to its sender before another may try it
SEND_LEASE = timedelta(minutes=10)
#: recording a sent message is retried until this long before its lease ends (see ``_record``)
MARK_MARGIN = timedelta(minutes=1)


def queue(
    to: str, kind: str, subject: str, bid: Bid | None = None, *, reply_to: str | None = None, **context
) -> EmailMessage:
    """Render and queue one email; it is sent once the current transaction commits."""
    message = render(to, kind, subject, bid, reply_to=reply_to, **context)
    queue_all([message])
    return message


def render(
    to: str, kind: str, subject: str, bid: Bid | None = None, *, reply_to: str | None = None, **context
) -> EmailMessage:
    """Render one email into an outbox row, not yet added to the session (see ``queue_all``).

    ``reply_to`` is where replies go (a person's address); by default they go to the sender.
    """
    context.setdefault("base_url", current_app.config["BASE_URL"].rstrip("/"))
    context["bid"] = bid
    text = render_template(f"email/{kind}.txt", subject=subject, **context)
    html = render_template(f"email/{kind}.html", subject=subject, **context)
    return EmailMessage(
        message_id=new_message_id(sender_domain()),
        to_address=to,
        reply_to=reply_to,
        subject=subject_line(subject, bid),
        body_text=text,
        body_html=html,
        kind=kind,
        bid_id=bid.id if bid is not None else None,
    )


def subject_line(subject: str, bid: Bid | None) -> str:
    """The Subject header of an email (also used by ``bulk.render_many``)."""
    # A subject is one header line: any line break (CR, LF, U+2028, ...) in a bid title or name
    # becomes a space, so no text a person typed can add a header (and the mail library never refuses it).
    subject = " ".join(subject.split())
    if bid is not None:
        # Every email about a bid says which, in the subject as in its first line (tests/notifications).
        title = " ".join((bid.title or "").split())
        if title and title not in subject:
            subject = f"{subject} – {title}"
    return subject[:300]


def queue_all(messages: list[EmailMessage]) -> None:
    """Queue rendered emails with one flush (a batched insert); they are sent once the transaction commits."""
    if not messages:
        return
    db.session.add_all(messages)
    db.session.flush()
    for message in messages:
        _send_after_commit(message.id)


def queue_rows(rows: list[dict]) -> list[int]:
    """Queue emails given as outbox rows (``bulk.render_many``) with one INSERT; returns their ids, in order.

    For the scheduler's batches: no ORM object per email. Sent once the transaction commits, as ``queue_all``.
    """
    if not rows:
        return []
    now = clock.now()
    defaults = {"status": EmailStatus.PENDING, "attempts": 0, "created_at": now, "next_attempt_at": now}
    table = EmailMessage.__table__
    insert = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids = list(db.session.execute(insert, [{**defaults, **row} for row in rows]).scalars())
    for message_id in ids:
        _send_after_commit(message_id)
    return ids


def _send_after_commit(message_id: int) -> None:
    session = db.session()
    pending = session.info.setdefault("pending_email_ids", [])
    if not pending:
        app = current_app._get_current_object()

        def send_batch() -> None:
            ids = list(pending)
            pending.clear()
            if app.config.get("MAIL_SEND_ASYNC", True):
                _start_sender(app, ids)
            else:
                _send_in_context(app, ids)

        after_commit(session, send_batch)
    pending.append(message_id)


#: email threads this process has started and that have not finished (see ``wait_for_sends``)
_senders: set[threading.Thread] = set()
_senders_lock = threading.Lock()


def _start_sender(app, ids: list[int]) -> None:
    # Not a daemon: a process that is exiting (a CLI command, the scheduler) waits for the messages it has
    # claimed instead of leaving them to wait out the lease. Each SMTP step is bounded by MAIL_TIMEOUT.
    thread = threading.Thread(target=_send_in_context, args=(app, ids), name="email-sender", daemon=False)
    with _senders_lock:
        _senders.add(thread)
    thread.start()


def _send_in_context(app, ids: list[int]) -> None:
    # A background thread has nobody to answer with a 503: when the database is busy it waits and tries
    # again (a message already claimed is skipped, and left to the sweep once its lease runs out).
    try:
        with app.app_context():
            retry_when_locked(lambda: send_pending(ids))
    except Exception:  # the messages stay in the outbox; the sweep sends them
        log.exception("sending emails %s failed; the scheduler's sweep retries them", ids)
    finally:
        with _senders_lock:
            _senders.discard(threading.current_thread())


def wait_for_sends(timeout: float | None = None) -> bool:
    """Wait until every email thread this process started has finished; False if ``timeout`` ran out first."""
    ends = None if timeout is None else time.monotonic() + timeout
    while True:
        with _senders_lock:
            running = [t for t in _senders if t is not threading.current_thread()]
        if not running:
            return True
        for thread in running:
            thread.join(None if ends is None else max(0.0, ends - time.monotonic()))
        if ends is not None and time.monotonic() >= ends:
            with _senders_lock:
                return not any(t.is_alive() for t in _senders if t is not threading.current_thread())


def sender_domain() -> str:
    """The domain of ``MAIL_DEFAULT_SENDER``, for Message-IDs."""
    address = parseaddr(current_app.config.get("MAIL_DEFAULT_SENDER") or "")[1]
    return address.rpartition("@")[2].strip().lower() or "localhost"


def send_pending(ids: list[int] | None = None, *, limit: int = 200) -> tuple[int, int]:
    """Send queued messages (these ids, or every one that is due). Returns (sent, failed).

    Uses its own session so it can run inside another session's after-commit hook. Each message is claimed
    first with a conditional update that moves its next attempt a lease ahead, and committed; only the
    sender whose update matched sends it. So two senders at once (a scheduler's sweep and a web worker's
    after-commit send) never send one message twice, and no lock is held while the mail server answers.
    Once the server has accepted it, the message is marked sent in its own short transaction, retried while
    the database is briefly unavailable (``_record``): a failed mark never leads to a second send. A sender
    that dies between the server's acceptance and the mark (the one message it has in flight) leaves that
    message to be sent again once the lease has run out, with the same Message-ID.
    """
    with Session(db.engine, expire_on_commit=False) as session:
        stmt = sa.select(EmailMessage.id).where(EmailMessage.status == EmailStatus.PENDING)
        if ids is not None:
            stmt = stmt.where(EmailMessage.id.in_(ids))
        else:
            stmt = stmt.where(EmailMessage.next_attempt_at <= clock.now())
        if ids is None:
            stmt = stmt.limit(limit)  # a sweep takes a batch; explicit ids are sent in full
        with reading():  # only the claims and the results below take SQLite's write lock, each briefly
            message_ids = session.scalars(stmt.order_by(EmailMessage.id)).all()
        units.end_read(session)
        sent = failed = 0
        for message_id in message_ids:
            try:
                message = _claim(session, message_id)
            except sa.exc.OperationalError as exc:  # database unavailable: the rest wait for the next sweep
                if ids is not None and is_locked_error(exc):
                    raise  # a thread sending one change's emails waits for the lock (retry_when_locked) instead
                log.warning("could not claim email %s: %s", message_id, exc)
                break
            if message is None:
                continue
            claimed_at = clock.now()
            try:
                _deliver(message)
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
            _record(session, message.id, message.message_id, values, claimed_at)
    return sent, failed


def _claim(session: Session, message_id: int) -> EmailMessage | None:
    """Take one due message for this sender for a lease, committed; None if another sender has it."""
    now = clock.now()  # now, not the batch's start: a long batch must not take an already-expired lease
    with units.unit(session):
        claimed = session.execute(
            sa.update(EmailMessage)
            .where(
                EmailMessage.id == message_id,
                EmailMessage.status == EmailStatus.PENDING,
                EmailMessage.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + SEND_LEASE)
            .execution_options(synchronize_session=False)
        ).rowcount
    if not claimed:
        return None
    with reading(), units.unit(session):  # read, then let go: nothing is held while the mail server answers
        return session.get(EmailMessage, message_id, populate_existing=True)


def _deliver(message: EmailMessage) -> None:
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
    email.send()


def _record(session: Session, message_id: int, message_ref: str, values: dict, claimed_at) -> bool:
    """Write the outcome of one attempt in its own short transaction, retrying while the database is locked.

    Retries until shortly before the message's lease runs out (after that another sender may take it, so
    there is nothing left to protect). Returns whether it was written. Takes plain values, not the row: a
    rollback expires loaded rows, and reading one again would need the database that just failed.
    """
    lease_left = claimed_at + SEND_LEASE - MARK_MARGIN - clock.now()
    give_up = time.monotonic() + max(lease_left.total_seconds(), 0.0)
    pause = 0.05
    while True:
        try:
            with units.unit(session):
                session.execute(
                    sa.update(EmailMessage)
                    .where(EmailMessage.id == message_id)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
            return True
        except sa.exc.OperationalError as exc:  # "database is locked", a dropped connection: try again
            if time.monotonic() + pause >= give_up:
                log.error("could not record email %s (%s) as %s: %s", message_id, message_ref, values, exc)
                return False
            log.warning("recording email %s failed (%s); retrying in %.2fs", message_id, exc, pause)
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


def failed_count(bid: Bid) -> int:
    """Emails for this bid that have not gone out after at least one attempt."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(EmailMessage)
            .where(
                EmailMessage.bid_id == bid.id,
                EmailMessage.status != EmailStatus.SENT,
                EmailMessage.attempts > 0,
            )
        )
        or 0
    )


#: What a sent message's body becomes once it is older than OUTBOX_KEEP_DAYS.
PURGED = "(The text of this email was removed from the outbox after it was sent: it held links that still work.)"


def purge_old_bodies(now=None) -> int:
    """Blank the bodies of messages sent (or given up on) more than ``OUTBOX_KEEP_DAYS`` ago. Returns how many.

    An email's body holds working links (invitations, funder links); once it has gone, the outbox row only
    needs to say that it went, to whom and when. The caller commits (the sweep's step is one unit).
    """
    days = current_app.config.get("OUTBOX_KEEP_DAYS", 7)
    if not days:
        return 0
    cutoff = (now or clock.now()) - timedelta(days=days)
    return db.session.execute(
        sa.update(EmailMessage)
        .where(
            EmailMessage.status.in_([EmailStatus.SENT, EmailStatus.FAILED]),
            EmailMessage.created_at < cutoff,
            EmailMessage.body_html.is_not(None) | (EmailMessage.body_text != PURGED),
        )
        .values(body_text=PURGED, body_html=None)
        .execution_options(synchronize_session=False)
    ).rowcount


@sweeps.step("outbox-purge", order=50)
def _purge_step() -> dict:
    with units.unit():
        return {"emails_purged": purge_old_bodies()}
