"""The bids' sweep step: close bids whose deadline has passed; and the whole sweep, for the scheduler.

Each step of the sweep (reminders, closing, the digest, the outbox) is registered by the module that owns it
(app.infra.sweeps) and is an idempotent sweep over the database in units committed by the job runner
(app.infra.units: one at a time, or in batches of SAVEPOINTs), so two schedulers running at once, or a restart
half-way, change nothing twice.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from app import notifications
from app.extensions import db
from app.infra import clock, sweeps, units
from app.models import Bid
from app.services import bids

#: emails sent per outbox query
BATCH = 200


def close_due_bids() -> list[int]:
    """Close every open bid whose deadline (and grace window) has passed. Returns the ids closed.

    Closing queues the convenors' summary and the members' notes (app.services.notices) in the same
    transaction; the row lock (PostgreSQL) or write lock (SQLite) means only one scheduler closes a bid.
    """
    now = clock.now()
    candidates = db.session.scalars(sa.select(Bid.id).where(Bid.is_past_deadline(now)).order_by(Bid.id)).all()
    units.end_read()

    #: the bids of the open batch, read and row-locked together as it begins (one statement for the batch)
    locked: dict[int, Bid] = {}
    # The bid's row lock (FOR UPDATE OF bids: not its convening body's), read with the convening body that the
    # closing notices name.
    read = {
        "with_for_update": {"of": Bid},
        "populate_existing": True,
        "options": [joinedload(Bid.organisation, innerjoin=True)],
    }

    def lock_batch(bid_ids: list[int]) -> None:
        locked.clear()
        rows = db.session.scalars(
            sa.select(Bid)
            .where(Bid.id.in_(bid_ids))
            .order_by(Bid.id)
            .with_for_update(of=Bid)
            .options(*read["options"])
            .execution_options(populate_existing=True)
        )
        locked.update((bid.id, bid) for bid in rows)

    def close(bid_id: int) -> bool:
        bid = locked.pop(bid_id, None)
        if bid is None or sa.inspect(bid).expired_attributes:  # not read with this batch's lock: read it now
            bid = db.session.get(Bid, bid_id, **read)
        if bid is None or not bid.is_due_to_close(now):
            return False
        bids.close_bid(None, bid, reason="deadline")
        return True

    # One unit (SAVEPOINT) per bid, committed in batches: one bad bid must not stop the others closing; the next
    # sweep retries it. The bids are locked in id order, as every sweeper takes them, so two never deadlock.
    closed = units.in_batches(candidates, close, what="closing bid", begin=lock_batch)
    return [bid_id for bid_id, done in closed if done]


@sweeps.step("close", order=20)
def _close_step() -> dict:
    return {"closed": close_due_bids()}


def upcoming_closes(within: timedelta) -> list[tuple[int, datetime]]:
    """Open bids whose close (deadline plus grace) falls in the next ``within``: for exact one-off jobs."""
    now = clock.now()
    rows = db.session.execute(
        sa.select(Bid.id, Bid.deadline, Bid.grace_minutes).where(Bid.is_past_deadline(now + within))
    ).all()
    units.end_read()
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


@sweeps.step("outbox", order=40)
def _outbox_step() -> dict:
    """Retry email that failed, and send any the web workers left, for up to a sweep interval."""
    sent, failed = drain_outbox(current_app.config.get("SWEEP_SECONDS", 30))
    return {"emails_sent": sent, "emails_failed": failed}


def run_sweep() -> dict:
    """One pass of every registered sweep step (see app.infra.sweeps)."""
    return sweeps.run_all()
