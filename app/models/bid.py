"""Bids and their lifecycle."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.organisation import Organisation, User
from app.models.types import UTCDateTime, str_enum, utcnow

#: Default reminder plan: minutes before the deadline (7 days, 2 days, 24 hours, 2 hours).
DEFAULT_REMINDER_PLAN = [7 * 24 * 60, 2 * 24 * 60, 24 * 60, 120]


class BidStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    SUBMITTED = "submitted"
    CANCELLED = "cancelled"


#: The lifecycle in one place: status → statuses it may move to.
TRANSITIONS: dict[BidStatus, frozenset[BidStatus]] = {
    BidStatus.DRAFT: frozenset({BidStatus.OPEN, BidStatus.CANCELLED}),
    BidStatus.OPEN: frozenset({BidStatus.CLOSED, BidStatus.CANCELLED}),
    BidStatus.CLOSED: frozenset({BidStatus.OPEN, BidStatus.SUBMITTED}),
    BidStatus.SUBMITTED: frozenset(),
    BidStatus.CANCELLED: frozenset(),
}


class Bid(db.Model):
    """A consortium bid to one funder's scheme, opened by a convening body."""

    __tablename__ = "bids"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    funder_name: Mapped[str] = mapped_column(sa.String(200))
    scheme: Mapped[str] = mapped_column(sa.String(200))
    #: the convenor's case for the bid
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    terms: Mapped[str] = mapped_column(sa.Text, default="")
    target_pence: Mapped[int] = mapped_column(sa.BigInteger)
    target_homes: Mapped[int] = mapped_column(sa.Integer)
    min_pledge_pence: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: scheme thresholds: the consortium must reach these for the bid to be eligible
    min_total_pence: Mapped[int | None] = mapped_column(sa.BigInteger)
    min_members: Mapped[int | None] = mapped_column(sa.Integer)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[BidStatus] = mapped_column(str_enum(BidStatus), default=BidStatus.DRAFT)
    #: members see other organisations' amounts (otherwise only names and the consortium totals)
    show_amounts: Mapped[bool] = mapped_column(default=False)
    #: minutes after the deadline during which members who had started may still save (0 = off)
    grace_minutes: Mapped[int] = mapped_column(default=0)
    #: minutes before the deadline at which reminders go out
    reminder_plan: Mapped[list[int]] = mapped_column(sa.JSON, default=lambda: list(DEFAULT_REMINDER_PLAN))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User] = relationship()

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint("target_pence > 0", name="target_positive"),
        sa.CheckConstraint("target_homes >= 0", name="target_homes_positive"),
        sa.CheckConstraint("min_pledge_pence IS NULL OR min_pledge_pence > 0", name="min_pledge_positive"),
        sa.CheckConstraint("grace_minutes >= 0 AND grace_minutes <= 1440", name="grace_range"),
        sa.CheckConstraint("status IN ('draft', 'open', 'closed', 'submitted', 'cancelled')", name="status_valid"),
    )

    @property
    def grace_ends(self) -> datetime:
        return self.deadline + timedelta(minutes=self.grace_minutes or 0)

    def deadline_passed(self, now: datetime) -> bool:
        return now >= self.deadline

    def can_move_to(self, status: BidStatus) -> bool:
        return status in TRANSITIONS[self.status]

    def __repr__(self) -> str:
        return f"<Bid {self.id} {self.title!r} {self.status}>"
