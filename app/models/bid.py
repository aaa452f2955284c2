"""Bids and their lifecycle."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
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
    WON = "won"
    LOST = "lost"
    WITHDRAWN = "withdrawn"


#: The results a submitted bid can have: recorded, and corrected, by the convenor (app.services.outcomes).
OUTCOMES = (BidStatus.WON, BidStatus.LOST, BidStatus.WITHDRAWN)


#: The lifecycle in one place: status → statuses it may move to.
TRANSITIONS: dict[BidStatus, frozenset[BidStatus]] = {
    BidStatus.DRAFT: frozenset({BidStatus.OPEN, BidStatus.CANCELLED}),
    BidStatus.OPEN: frozenset({BidStatus.CLOSED, BidStatus.CANCELLED}),
    BidStatus.CLOSED: frozenset({BidStatus.OPEN, BidStatus.SUBMITTED}),
    BidStatus.SUBMITTED: frozenset(OUTCOMES),
    #: a cancelled bid can be restored to a draft by its convenors
    BidStatus.CANCELLED: frozenset({BidStatus.DRAFT}),
    # A recorded outcome can be corrected to another one; it never goes back to "submitted".
    **{outcome: frozenset(OUTCOMES) - {outcome} for outcome in OUTCOMES},
}
_ACTION_FOR = {
    BidStatus.CLOSED: "close",
    BidStatus.SUBMITTED: "submit",
    BidStatus.CANCELLED: "cancel",
    BidStatus.DRAFT: "restore",
    **dict.fromkeys(OUTCOMES, "outcome"),
}
#: Every status, for the database's CHECK constraint (the migration that adds one writes the same list).
STATUS_SQL = "status IN ('draft', 'open', 'closed', 'submitted', 'cancelled', 'won', 'lost', 'withdrawn')"
#: Statuses in which the convenor edits the bid, invites organisations and changes the reminder plan.
PREPARING = (BidStatus.DRAFT, BidStatus.OPEN)


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
        sa.CheckConstraint(STATUS_SQL, name="status_valid"),
    )

    # -- the lifecycle's rules: every service, view and template asks these -------------------------------

    @property
    def grace_ends(self) -> datetime:
        """The end of the grace window after the deadline (the deadline itself when there is none)."""
        return self.deadline + timedelta(minutes=self.grace_minutes or 0)

    @hybrid_property
    def is_open(self) -> bool:
        return self.status == BidStatus.OPEN

    @hybrid_property
    def is_editable(self) -> bool:
        """The convenor can still edit it (a draft, or open: the deadline of an open bid moves only by extending)."""
        return self.status in PREPARING

    @is_editable.inplace.expression
    @classmethod
    def _is_editable_sql(cls):
        return cls.status.in_(PREPARING)

    @hybrid_property
    def takes_invitations(self) -> bool:
        """Organisations can be invited, re-invited, and can accept (a draft or an open bid)."""
        return self.status in PREPARING

    @takes_invitations.inplace.expression
    @classmethod
    def _takes_invitations_sql(cls):
        return cls.status.in_(PREPARING)

    @property
    def can_extend(self) -> bool:
        """The deadline can move later: extending an open bid, or reopening a closed one with a new deadline."""
        return self.is_open or self.status == BidStatus.CLOSED

    @hybrid_property
    def can_be_reminded(self) -> bool:
        """Reminders, planned or sent by hand, go out only while the bid is open."""
        return self.status == BidStatus.OPEN

    @hybrid_method
    def is_before_deadline(self, at: datetime) -> bool:
        """Open and its deadline still ahead at ``at``: everyone invited may pledge, amend and withdraw."""
        return self.is_open and at < self.deadline

    @is_before_deadline.expression
    @classmethod
    def _is_before_deadline_sql(cls, at: datetime):
        return sa.and_(cls.status == BidStatus.OPEN, cls.deadline > at)

    @hybrid_method
    def is_past_deadline(self, at: datetime) -> bool:
        """Open though its deadline has passed at ``at``: it closes once its grace window ends too."""
        return self.is_open and at >= self.deadline

    @is_past_deadline.expression
    @classmethod
    def _is_past_deadline_sql(cls, at: datetime):
        return sa.and_(cls.status == BidStatus.OPEN, cls.deadline <= at)

    def in_grace_at(self, at: datetime) -> bool:
        """Open, past the deadline and inside the grace window at ``at``."""
        return self.is_open and self.deadline <= at < self.grace_ends

    def is_due_to_close(self, at: datetime) -> bool:
        """Open with its deadline and grace window both over at ``at``: the scheduler closes it."""
        return self.is_open and at >= self.grace_ends

    def had_started(self, pledge) -> bool:
        """Whether the organisation of ``pledge`` (or None) had pledged before the deadline: only those may
        save in the grace window."""
        return pledge is not None and pledge.created_at < self.deadline

    def takes_pledges_from(self, at: datetime, *, started: bool) -> bool:
        """Whether a pledge write from an organisation is allowed at the moment ``at``.

        The clock decides, whatever the scheduler has done: before the deadline anyone invited may write; after
        it, only an organisation that had ``started`` (pledged before the deadline), until the grace window ends.
        """
        if not self.is_open:
            return False
        return at < self.deadline or bool(self.grace_minutes and started and at < self.grace_ends)

    @property
    def offers_pack(self) -> bool:
        """A bid pack can be made or read: the bid has been open (not a draft, not cancelled)."""
        return self.status in (BidStatus.OPEN, BidStatus.CLOSED, BidStatus.SUBMITTED)

    @property
    def offers_reminders(self) -> bool:
        """The reminders page applies: a draft's plan, an open bid's sends, a closed or submitted bid's history."""
        return self.status != BidStatus.CANCELLED

    @property
    def next_statuses(self) -> frozenset[BidStatus]:
        """Where the bid may go from here, from TRANSITIONS."""
        return TRANSITIONS[self.status]

    @property
    def next_actions(self) -> frozenset[str]:
        """What the convenor can do next: the moves TRANSITIONS allows ("open", "close", "submit", "cancel",
        "restore" for a cancelled bid, and "reopen" for a closed bid), and "edit" and "extend" where they apply."""
        actions = {_ACTION_FOR[to] for to in self.next_statuses if to != BidStatus.OPEN}
        if BidStatus.OPEN in self.next_statuses:
            actions.add("reopen" if self.status == BidStatus.CLOSED else "open")
        if self.is_editable:
            actions.add("edit")
        if self.is_open:
            actions.add("extend")
        return frozenset(actions)

    @property
    def has_outcome(self) -> bool:
        """Won, lost or withdrawn: the funder's decision (or the convenor's withdrawal) is recorded."""
        return self.status in OUTCOMES

    @property
    def pledges_released(self) -> bool:
        """Lost or withdrawn: the members' pledged money is no longer held for this bid."""
        return self.status in (BidStatus.LOST, BidStatus.WITHDRAWN)

    @property
    def in_delivery(self) -> bool:
        """Won: members record the grants they make with the money (until the convenor closes delivery)."""
        return self.status == BidStatus.WON

    def can_move_to(self, status: BidStatus) -> bool:
        return status in TRANSITIONS[self.status]

    def __repr__(self) -> str:
        return f"<Bid {self.id} {self.title!r} {self.status}>"
