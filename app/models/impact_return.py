"""One organisation's figures for one programme period, its revisions, lock exceptions and reminder rows."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.organisation import Organisation, User
from app.models.programme import MeasureSet, Period, Programme
from app.models.types import UTCDateTime, str_enum, utcnow


class ReturnStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    QUERIED = "queried"  #: reopened to the organisation with the convenor's note
    ACCEPTED = "accepted"


#: the statuses whose figures count in the totals
COUNTED = (ReturnStatus.SUBMITTED, ReturnStatus.ACCEPTED)


class ImpactReturn(db.Model):
    """An organisation's return for a period: values by measure code (None = not collected)."""

    __tablename__ = "impact_returns"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programmes.id"), index=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("programme_periods.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    #: the measure set version the figures were given against
    measure_set_id: Mapped[int] = mapped_column(sa.ForeignKey("measure_sets.id"))
    status: Mapped[ReturnStatus] = mapped_column(str_enum(ReturnStatus))
    #: code → integer in the measure's unit, or None for "not collected"
    values: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: code → the member's comment (needed for a required measure not collected)
    comments: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    story: Mapped[str] = mapped_column(sa.Text, default="")
    #: the organisation lets the convenor quote its story in the summary report
    story_shareable: Mapped[bool] = mapped_column(default=False)
    #: first submitted at or after the due moment (and before the lock)
    late: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    query_note: Mapped[str | None] = mapped_column(sa.Text)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    programme: Mapped[Programme] = relationship()
    period: Mapped[Period] = relationship()
    organisation: Mapped[Organisation] = relationship()
    measure_set: Mapped[MeasureSet] = relationship()

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.UniqueConstraint("period_id", "organisation_id", name="uq_impact_returns_period_org"),
        sa.CheckConstraint("status IN ('draft', 'submitted', 'queried', 'accepted')", name="status_valid"),
    )

    def snapshot(self) -> dict:
        return {
            "status": str(self.status),
            "values": dict(self.values or {}),
            "comments": dict(self.comments or {}),
            "story": self.story,
            "story_shareable": self.story_shareable,
        }


class ReturnRevision(db.Model):
    """One accepted change to a return: who, when, the values before and after."""

    __tablename__ = "return_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(sa.ForeignKey("impact_returns.id"), index=True)
    version: Mapped[int] = mapped_column(sa.Integer)
    action: Mapped[str] = mapped_column(sa.String(20))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict] = mapped_column(sa.JSON)

    actor: Mapped[User | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("return_id", "version", name="uq_return_revisions_return_version"),)


class LockException(db.Model):
    """A locked period reopened for one organisation until ``ends_at``, with the convenor's reason."""

    __tablename__ = "return_lock_exceptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("programme_periods.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(500))
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()


class ReturnReminder(db.Model):
    """A claimed reminder: one row per (period, organisation, step) makes a second send impossible."""

    __tablename__ = "return_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("programme_periods.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    #: days relative to the due date (``-3``, ``0``, ``10``), or ``manual-<uuid>`` for a convenor's one-click send
    step: Mapped[str] = mapped_column(sa.String(60))
    outcome: Mapped[str] = mapped_column(sa.String(10))
    note: Mapped[str | None] = mapped_column(sa.String(300))
    email_id: Mapped[int | None] = mapped_column(sa.ForeignKey("email_messages.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("period_id", "organisation_id", "step", name="uq_return_reminders_period_org_step"),
        sa.CheckConstraint("outcome IN ('sent', 'skipped')", name="outcome_valid"),
    )


class SummaryLink(db.Model):
    """A private, expiring, revocable link to a programme's summary report for one organisation that submitted:
    the members' figures (small numbers suppressed) over a range of periods, without logging in."""

    __tablename__ = "return_summary_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programmes.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    from_period: Mapped[str] = mapped_column(sa.String(20))
    to_period: Mapped[str] = mapped_column(sa.String(20))
    email: Mapped[str] = mapped_column(sa.String(254))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()
