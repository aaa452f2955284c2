"""Invitations: a convening body asks an organisation's contact to join a bid."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.bid import Bid
from app.models.organisation import Organisation, User
from app.models.types import UTCDateTime, str_enum, utcnow


class InvitationStatus(enum.StrEnum):
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REVOKED = "revoked"


class Invitation(db.Model):
    """One invitation to one email address for one bid. Expired and pledged are derived states."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bids.id"), index=True)
    organisation_name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(254))
    #: set when the invitation names an organisation already known, and on acceptance
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    status: Mapped[InvitationStatus] = mapped_column(
        str_enum(InvitationStatus),
        default=InvitationStatus.SENT,
    )
    #: SHA-256 of the current link's token; a resend replaces it, so older links stop working
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    invited_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    send_count: Mapped[int] = mapped_column(default=1)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decline_reason: Mapped[str | None] = mapped_column(sa.Text)

    bid: Mapped[Bid] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    invited_by: Mapped[User] = relationship(foreign_keys=[invited_by_id])
    accepted_by: Mapped[User | None] = relationship(foreign_keys=[accepted_by_id])

    __table_args__ = (
        sa.UniqueConstraint("bid_id", "email", name="uq_invitations_bid_email"),
        sa.CheckConstraint("status IN ('sent', 'accepted', 'declined', 'revoked')", name="status_valid"),
    )

    def is_expired(self, now: datetime) -> bool:
        return self.status == InvitationStatus.SENT and now >= self.expires_at

    def __repr__(self) -> str:
        return f"<Invitation {self.id} {self.email} {self.status}>"
