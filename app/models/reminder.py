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


class ReminderSlot(db.Model):
    """A planned reminder slot of a bid, claimed once by whichever scheduler processes it first.

    The row is written in the same transaction as the slot's per-invitation ReminderSend rows, so a second
    scheduler (or a restart) sees the slot as done. ``outcome`` is "sent", or "skipped" with the reason.
    """

    __tablename__ = "reminder_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bids.id"), index=True)
    #: "plan:<minutes>@<deadline>", the same key as the ReminderSend rows it covers
    slot: Mapped[str] = mapped_column(sa.String(80))
    outcome: Mapped[str] = mapped_column(sa.String(20), default="sent")
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("bid_id", "slot", name="uq_reminder_slots_bid_slot"),)


class ConvenorSend(db.Model):
    """An email to one convenor about one bid (closing summary, daily digest), claimed once per key."""

    __tablename__ = "convenor_sends"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bids.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    #: "digest:2026-08-14" (London date) or "closed@<deadline>"
    key: Mapped[str] = mapped_column(sa.String(80))
    email_id: Mapped[int | None] = mapped_column(sa.ForeignKey("email_messages.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("bid_id", "user_id", "key", name="uq_convenor_sends_bid_user_key"),)
