"""The scheduler's work, as services: remind, close bids whose deadline has passed, digest, retry email.

Each step is an idempotent sweep over the database and commits per item, so two schedulers running at
once, or a restart half-way, change nothing twice. Reminders run before closing so that, after an outage,
reminders that no longer make sense are recorded as skipped before their bid closes.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app import notifications
from app.extensions import db
from app.models import Bid, BidStatus
from app.services import bids, clock, digest, reminders

log = logging.getLogger(__name__)
#: emails sent per outbox query
BATCH = 200


def close_due_bids() -> list[int]:
    """Close every open bid whose deadline (and grace window) has passed. Returns the ids closed.

    Closing queues the convenors' summary and the members' notes (app.services.notices) in the same
    transaction; the row lock (PostgreSQL) or write lock (SQLite) means only one scheduler closes a bid.
    """
    now = clock.now()
    closed = []
    candidates = db.session.scalars(
        sa.select(Bid.id).where(Bid.status == BidStatus.OPEN, Bid.deadline <= now).order_by(Bid.id)
    ).all()
    db.session.rollback()
    for bid_id in candidates:
        bid = db.session.get(Bid, bid_id, with_for_update=True, populate_existing=True)
        if bid is None or bid.status != BidStatus.OPEN or now < bid.grace_ends:
            db.session.rollback()
            continue
        try:
            bids.close_bid(None, bid, reason="deadline")
            db.session.commit()
        except Exception:  # one bad bid must not stop the others closing; the next sweep retries it
            db.session.rollback()
            log.exception("closing bid %s failed", bid_id)
            continue
        closed.append(bid_id)
    db.session.commit()  # end the read transaction: on SQLite it holds the write lock
    return closed


def upcoming_closes(within: timedelta) -> list[tuple[int, datetime]]:
    """Open bids whose close (deadline plus grace) falls in the next ``within``: for exact one-off jobs."""
    now = clock.now()
    rows = db.session.execute(
        sa.select(Bid.id, Bid.deadline, Bid.grace_minutes).where(
            Bid.status == BidStatus.OPEN, Bid.deadline <= now + within
        )
    ).all()
    db.session.rollback()
    out = []
    for bid_id, deadline, grace in rows:
        ends = deadline + timedelta(minutes=grace or 0)
        if now < ends <= now + within:
            out.append((bid_id, ends))
    return out


def drain_outbox(budget_seconds: float) -> tuple[int, int]:
    """Send due email in batches until none is left or the time budget is spent. Returns (sent, failed)."""
    sent = failed = 0
    ends = time.monotonic() + budget_seconds
    while True:
        batch_sent, batch_failed = notifications.send_pending(limit=BATCH)
        sent, failed = sent + batch_sent, failed + batch_failed
        if batch_sent + batch_failed < BATCH or time.monotonic() >= ends:
            return sent, failed


def run_sweep() -> dict:
    reminded = reminders.send_due()
    closed = close_due_bids()
    digests = digest.send_due()
    sent, failed = drain_outbox(current_app.config.get("SWEEP_SECONDS", 30))
    purged = notifications.purge_old_bodies()
    db.session.commit()
    return {
        "closed": closed,
        "reminders": reminded,
        "digests": digests["sent"],
        "emails_sent": sent,
        "emails_failed": failed,
        "emails_purged": purged,
    }
