"""Reminding member organisations that have recorded no grants by the date the convenor set (exactly once).

Each reminder is claimed by a ReminderSend row per (invitation, slot) under its unique constraint, in the
transaction that queues its email (``notices._claim_all``, the machinery the closing notices use: one SAVEPOINT
per bid, one INSERT for the emails and one for the claims, the emails rendered together); the
slot names the due date, so a new date gives one new reminder, and a second scheduler skips what is claimed.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.infra import clock, sweeps, units
from app.infra.links import path_for
from app.models import Bid, BidOutcome, BidStatus, Grant
from app.notifications.bulk import Letter, render_many
from app.services import notices

KIND = "grants_due"


def slot_for(outcome: BidOutcome) -> str:
    return f"grants-due@{outcome.grants_due_by.isoformat()}"


def send_due(now: datetime | None = None) -> dict:
    """Remind every member with no grants on each won bid whose grants-due date has come. One unit per bid."""
    now = now or clock.now()
    today = clock.to_london(now).date()
    due = (
        db.session.execute(
            sa.select(Bid.id)
            .join(BidOutcome, BidOutcome.bid_id == Bid.id)
            .where(
                Bid.status == BidStatus.WON,
                BidOutcome.grants_due_by.is_not(None),
                BidOutcome.grants_due_by <= today,
                BidOutcome.delivery_closed_at.is_(None),
            )
            .order_by(Bid.id)
        )
        .scalars()
        .all()
    )
    if not due:
        units.end_read()
        return {"grant_reminders": 0}

    def remind(bid_id: int) -> int:
        bid = db.session.get(Bid, bid_id)
        outcome = db.session.scalar(sa.select(BidOutcome).where(BidOutcome.bid_id == bid_id))
        with_grants = set(db.session.scalars(sa.select(Grant.organisation_id).where(Grant.bid_id == bid_id)))
        link = path_for("delivery.grants_index", bid_id=bid_id)
        batch = []
        for org_id, (invitation, people) in notices._member_organisations(bid).items():
            if org_id in with_grants:
                continue

            def build(people=people, name=invitation.organisation_name):
                return render_many(
                    "grants_due",
                    bid,
                    [Letter(p.email, f"Record your grants for {bid.title}", {"name": p.name}) for p in people],
                    organisation_name=name,
                    due=outcome.grants_due_by,
                    link=link,
                )

            batch.append((invitation, build))
        return notices._claim_all(bid, slot_for(outcome), KIND, now, batch) if batch else 0

    sent = sum(count for _bid_id, count in units.each(due, remind, what="grant reminders for bid"))
    return {"grant_reminders": sent}


@sweeps.step("grant_reminders", order=15)
def _sweep_step() -> dict:
    return send_due()
