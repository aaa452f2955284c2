"""Email: rendered from ``templates/email/<kind>.txt`` and ``.html``, queued in the transaction, sent after it.

Queueing only adds the outbox row to the transaction that causes it: the message is written with the change or
not at all. Once that transaction has committed, the message's id is handed to this process's background
sender (``sending.sender``), and the request answers without waiting for it; the sender claims each message
with one conditional UPDATE and sends it. (The test configuration, ``MAIL_SEND_ASYNC = False``, sends in the
committing thread instead, so that a test sees the email as soon as its request has answered.) A message that
fails to send stays in the outbox with its error and is retried by the scheduler's sweep, which sends whatever
is due the same way, so a mail server that refuses never undoes a change or loses a message.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from email.utils import parseaddr

import sqlalchemy as sa
from flask import current_app, render_template

from app.extensions import db
from app.infra import clock, sweeps, units
from app.infra.after_commit import after_commit, on_rollback, scoped_list
from app.models import Bid, EmailMessage, EmailStatus
from app.models.outbox import new_message_id
from app.notifications.sending import (
    MARK_MARGIN,
    MAX_ATTEMPTS,
    SEND_LEASE,
    send_now,
    send_pending,
    sender,
    wait_for_sends,
)

log = logging.getLogger(__name__)
#: Where the session lists the messages it has queued, to hand to the sender once it commits.
PENDING_EMAILS = "pending_emails"
__all__ = [
    "MARK_MARGIN",
    "MAX_ATTEMPTS",
    "SEND_LEASE",
    "failed_count",
    "purge_old_bodies",
    "queue",
    "queue_all",
    "render",
    "send_pending",
    "sender_domain",
    "wait_for_sends",
]


def queue(
    to: str, kind: str, subject: str, bid: Bid | None = None, *, reply_to: str | None = None, **context
) -> EmailMessage:
    """Render and queue one email; it is written with the transaction's other rows, and sent once it commits."""
    message = render(to, kind, subject, bid, reply_to=reply_to, **context)
    db.session.add(message)
    _send_after_commit(message)
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
    now = clock.now()  # queued now, whenever the flush that writes it comes
    return EmailMessage(
        created_at=now,
        next_attempt_at=now,
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
    """Queue rendered emails with one flush (a batched insert), so that their ids can be recorded beside them;
    they are sent once the transaction commits."""
    if not messages:
        return
    db.session.add_all(messages)
    db.session.flush()
    for message in messages:
        _send_after_commit(message)


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


def _send_after_commit(message: EmailMessage | int) -> None:
    """Hand ``message`` (a row, or the id of one inserted without an object) to the sender once the session's
    transaction has committed (forget it on rollback, or when the SAVEPOINT that queued it is rolled back)."""
    session = db.session()
    pending = scoped_list(session, PENDING_EMAILS)
    if not pending:
        app = current_app._get_current_object()

        def hand_over() -> None:
            # The commit gave every queued row its id; an expired row still knows it (no query).
            ids = [m if isinstance(m, int) else _identity(m) for m in pending]
            ids = [i for i in ids if i is not None]
            pending.clear()
            if app.config.get("MAIL_SEND_ASYNC", True):
                sender.submit(app, ids)
            else:
                send_now(app, ids)

        after_commit(session, hand_over)
        on_rollback(session, pending.clear)
    pending.append(message)


def _identity(message: EmailMessage) -> int | None:
    key = sa.inspect(message).identity
    return key[0] if key else None


def _send_in_context(app, ids: list[int]) -> None:
    """Send these messages now, in this thread (what the background sender does with each batch)."""
    send_now(app, ids)


def sender_domain() -> str:
    """The domain of ``MAIL_DEFAULT_SENDER``, for Message-IDs."""
    address = parseaddr(current_app.config.get("MAIL_DEFAULT_SENDER") or "")[1]
    return address.rpartition("@")[2].strip().lower() or "localhost"


def failed_count(bid: Bid) -> int:
    """Emails for this bid that have not gone out after at least one attempt."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(EmailMessage)
            .where(
                EmailMessage.bid_id == bid.id,
                # the statuses other than sent, named so that the (bid, status, attempts) index answers it
                EmailMessage.status.in_([s for s in EmailStatus if s != EmailStatus.SENT]),
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
