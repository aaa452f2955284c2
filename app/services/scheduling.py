"""The scheduler's work, as services: close bids whose deadline has passed, retry email.

Each step is an idempotent sweep over the database and commits per item, so two schedulers running at
once, or a restart half-way, change nothing twice.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from app import notifications
from app.extensions import db
from app.models import Bid, BidStatus
from app.services import bids, clock

log = logging.getLogger(__name__)


def close_due_bids() -> list[int]:
    """Close every open bid whose deadline (and grace window) has passed. Returns the ids closed."""
    now = clock.now()
    closed = []
    candidates = db.session.scalars(sa.select(Bid.id).where(Bid.status == BidStatus.OPEN, Bid.deadline <= now)).all()
    for bid_id in candidates:
        bid = db.session.get(Bid, bid_id, with_for_update=True, populate_existing=True)
        if bid is None or bid.status != BidStatus.OPEN or now < bid.grace_ends:
            db.session.rollback()
            continue
        bids.close_bid(None, bid, reason="deadline")
        db.session.commit()
        closed.append(bid_id)
    db.session.commit()  # end the read transaction: on SQLite it holds the write lock
    return closed


def run_sweep() -> dict:
    closed = close_due_bids()
    sent, failed = notifications.send_pending()
    return {"closed": closed, "emails_sent": sent, "emails_failed": failed}
