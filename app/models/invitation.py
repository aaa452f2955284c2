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
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bids.id"))  #: indexed with the status and by name (below)
    organisation_name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(254))
    #: set when the invitation names an organisation the convening body has worked with, and on acceptance
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    #: an existing organisation whose name matches or looks like the invited name, which the convening body
    #: has never worked with: shown to the convenor as "possible match"; joining it needs its managers.
    #: A hint, not a link: no foreign key, so the column can be dropped again on SQLite without rebuilding
    #: the table (organisations are never deleted)
    possible_organisation_id: Mapped[int | None] = mapped_column(sa.Integer)
    status: Mapped[InvitationStatus] = mapped_column(
        str_enum(InvitationStatus),
        default=InvitationStatus.SENT,
    )
    #: when every link of the invitation stops working; never before the bid's deadline plus its grace window
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    invited_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    send_count: Mapped[int] = mapped_column(default=1)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decline_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: the convenor's personal message, shown in the invitation email (and again in a resend)
    message: Mapped[str | None] = mapped_column(sa.Text)

    bid: Mapped[Bid] = relationship()
    organisation: Mapped[Organisation | None] = relationship(foreign_keys=[organisation_id])
    possible_organisation: Mapped[Organisation | None] = relationship(
        primaryjoin="foreign(Invitation.possible_organisation_id) == Organisation.id", viewonly=True
    )
    invited_by: Mapped[User] = relationship(foreign_keys=[invited_by_id])
    accepted_by: Mapped[User | None] = relationship(foreign_keys=[accepted_by_id])

    __table_args__ = (
        sa.UniqueConstraint("bid_id", "email", name="uq_invitations_bid_email"),
        sa.CheckConstraint("status IN ('sent', 'accepted', 'declined', 'revoked')", name="status_valid"),
        #: a bid's invitation counts by status, from the index alone
        sa.Index("ix_invitations_bid_status", "bid_id", "status", "organisation_id", "expires_at"),
        #: a bid's invitations by organisation name (the dashboard's first organisations yet to pledge)
        sa.Index("ix_invitations_bid_name", "bid_id", "organisation_name", "id"),
    )

    def is_expired(self, now: datetime) -> bool:
        return self.status == InvitationStatus.SENT and now >= self.expires_at

    def __repr__(self) -> str:
        return f"<Invitation {self.id} {self.email} {self.status}>"


class LinkEnd(enum.StrEnum):
    """Why a link stopped working before its invitation expired."""

    USED = "used"
    REVOKED = "revoked"


class InvitationLink(db.Model):
    """One link sent in one email for an invitation, kept only as its token's SHA-256.

    Every email (the invitation, a resend, a reminder, a deadline notice) carries its own link, and each works
    until the invitation is answered (used), the convenor withdraws it (revoked), or the invitation expires:
    a newer email never breaks an older one.
    """

    __tablename__ = "invitation_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(sa.ForeignKey("invitations.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: which email carried it: invitation, resend, reminder, deadline changed
    reason: Mapped[str] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended: Mapped[LinkEnd | None] = mapped_column(str_enum(LinkEnd))

    invitation: Mapped[Invitation] = relationship()

    __table_args__ = (
        sa.CheckConstraint("ended IS NULL OR ended IN ('used', 'revoked')", name="ended_valid"),
        sa.CheckConstraint("(ended IS NULL) = (ended_at IS NULL)", name="ended_with_time"),
    )

    def __repr__(self) -> str:
        return f"<InvitationLink {self.id} of invitation {self.invitation_id} {self.ended or 'live'}>"


class JoinRequestStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    CANCELLED = "cancelled"


class JoinRequest(db.Model):
    """A person who accepted an invitation asks to join an organisation that already has people.

    No User exists until a manager approves: the request holds the name and the password hash the person
    chose, so nothing that checks access (sessions, API tokens, streams) can ever see them before then.
    """

    __tablename__ = "join_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(sa.ForeignKey("invitations.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    name: Mapped[str] = mapped_column(sa.String(200))
    #: the password the person chose, hashed; blanked once the request is decided
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    status: Mapped[JoinRequestStatus] = mapped_column(str_enum(JoinRequestStatus), default=JoinRequestStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: the account made on approval
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    invitation: Mapped[Invitation] = relationship()
    organisation: Mapped[Organisation] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'approved', 'refused', 'cancelled')", name="status_valid"),
    )

    def __repr__(self) -> str:
        return f"<JoinRequest {self.id} {self.email} → {self.organisation_id} {self.status}>"
