"""Who was reminded when: the reminders sent and skipped on a bid, for the convenor's history on the reminders page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import Bid, EmailMessage, Invitation, ReminderSend, ReminderSlot


@dataclass
class HistoryRow:
    at: datetime
    slot: str
    kind: str
    outcome: str
    note: str | None
    organisation_name: str | None
    email: str | None
    email_status: str | None


def history(bid: Bid, *, limit: int = 500) -> list[HistoryRow]:
    """Reminders sent and skipped on the bid, newest first, with whole-slot skips; two queries."""
    rows = [
        HistoryRow(r.created_at, r.slot, r.kind, r.outcome, r.note, name, address, str(status) if status else None)
        for r, name, address, status in db.session.execute(
            sa.select(ReminderSend, Invitation.organisation_name, EmailMessage.to_address, EmailMessage.status)
            .join(Invitation, Invitation.id == ReminderSend.invitation_id)
            .outerjoin(EmailMessage, EmailMessage.id == ReminderSend.email_id)
            .where(ReminderSend.bid_id == bid.id)
            .order_by(ReminderSend.created_at.desc(), ReminderSend.id.desc())
            .limit(limit)
        )
    ]
    slots = db.session.scalars(
        sa.select(ReminderSlot).where(ReminderSlot.bid_id == bid.id, ReminderSlot.outcome == "skipped")
    ).all()
    covered = {r.slot for r in rows}
    for s in slots:
        if s.slot not in covered:
            rows.append(HistoryRow(s.created_at, s.slot, "plan", "skipped", s.note, None, None, None))
    return sorted(rows, key=lambda r: r.at, reverse=True)
