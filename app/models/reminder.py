"""Reminder sends: one row per (invitation, slot), so a reminder can never go out twice."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class ReminderSend(db.Model):
    """A claimed reminder slot for one invitee. The unique constraint makes double sending impossible."""

    __tablename__ = "reminder_sends"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bids.id"), index=True)
    invitation_id: Mapped[int] = mapped_column(sa.ForeignKey("invitations.id"), index=True)
    #: e.g. "plan:1440@2026-08-14T16:00Z" (minutes before a given deadline), "manual:17", "closed"
    slot: Mapped[str] = mapped_column(sa.String(80))
    #: "not_responded", "not_pledged", "confirm", "manual", "closed", ...
    kind: Mapped[str] = mapped_column(sa.String(30))
    #: "sent" or "skipped" (with the reason in note)
    outcome: Mapped[str] = mapped_column(sa.String(20), default="sent")
    note: Mapped[str | None] = mapped_column(sa.Text)
    email_id: Mapped[int | None] = mapped_column(sa.ForeignKey("email_messages.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("invitation_id", "slot", name="uq_reminder_sends_invitation_slot"),)
