"""Impact returns programmes: the programme, its measure set versions, periods and participants."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.organisation import Organisation, User
from app.models.types import UTCDateTime, str_enum, utcnow

#: Days before (negative) and after (positive) the due date on which the not-yet-submitted are reminded.
DEFAULT_RETURN_REMINDERS = [-10, -3, 0, 3, 10]


class MeasureUnit(enum.StrEnum):
    COUNT = "count"
    PENCE = "pence"
    FTE = "fte"  #: tenths of a full-time equivalent


class MeasureKind(enum.StrEnum):
    FLOW = "flow"  #: adds up over months (calls made)
    STOCK = "stock"  #: a month-end level, never added across months (residents in arrears)


class Programme(db.Model):
    """A named returns programme owned by a convening body."""

    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: the first period's key: ``2020-03`` or a combined range ``2020-03..2020-04``
    first_period: Mapped[str] = mapped_column(sa.String(20))
    due_days: Mapped[int] = mapped_column(sa.Integer, default=15)
    #: days after a period ends that its returns lock; 0 = never
    lock_days: Mapped[int] = mapped_column(sa.Integer, default=45)
    reminder_plan: Mapped[list[int]] = mapped_column(sa.JSON, default=lambda: list(DEFAULT_RETURN_REMINDERS))
    #: the sector's total homes, when the convenor enters it (coverage share)
    sector_homes: Mapped[int | None] = mapped_column(sa.BigInteger)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User] = relationship()
    measure_sets: Mapped[list[MeasureSet]] = relationship(
        back_populates="programme", order_by="MeasureSet.version", cascade="all, delete-orphan"
    )
    periods: Mapped[list[Period]] = relationship(back_populates="programme", order_by="Period.start_month")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint("due_days >= 0 AND due_days <= 365", name="due_days_range"),
        sa.CheckConstraint("lock_days >= 0 AND lock_days <= 730", name="lock_days_range"),
    )

    @property
    def current_set(self) -> MeasureSet:
        return self.measure_sets[-1]


class MeasureSet(db.Model):
    """One version of a programme's measures. Never changed once a return uses it: a change is a new version."""

    __tablename__ = "measure_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programmes.id"), index=True)
    version: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    programme: Mapped[Programme] = relationship(back_populates="measure_sets")
    measures: Mapped[list[Measure]] = relationship(
        back_populates="measure_set", order_by="Measure.position", cascade="all, delete-orphan"
    )

    __table_args__ = (sa.UniqueConstraint("programme_id", "version", name="uq_measure_sets_programme_version"),)


class Measure(db.Model):
    """One measure of a set: code, label, help, unit and kind."""

    __tablename__ = "measures"

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_set_id: Mapped[int] = mapped_column(sa.ForeignKey("measure_sets.id"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    code: Mapped[str] = mapped_column(sa.String(16))
    label: Mapped[str] = mapped_column(sa.String(200))
    help: Mapped[str] = mapped_column(sa.String(500), default="")
    unit: Mapped[MeasureUnit] = mapped_column(str_enum(MeasureUnit))
    kind: Mapped[MeasureKind] = mapped_column(str_enum(MeasureKind))
    required: Mapped[bool] = mapped_column(default=True)
    #: the convenor's own licensed social value per unit, in pence, and where it comes from
    unit_value_pence: Mapped[int | None] = mapped_column(sa.BigInteger)
    unit_value_source: Mapped[str | None] = mapped_column(sa.String(200))

    measure_set: Mapped[MeasureSet] = relationship(back_populates="measures")

    __table_args__ = (
        sa.UniqueConstraint("measure_set_id", "code", name="uq_measures_set_code"),
        sa.CheckConstraint("unit IN ('count', 'pence', 'fte')", name="unit_valid"),
        sa.CheckConstraint("kind IN ('flow', 'stock')", name="kind_valid"),
    )

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "label": self.label,
            "help": self.help,
            "unit": str(self.unit),
            "kind": str(self.kind),
            "required": self.required,
        }


class Period(db.Model):
    """A calendar month in UK time (or, for the first, a combined range of months) of a programme."""

    __tablename__ = "programme_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programmes.id"), index=True)
    #: ``2020-05``, or ``2020-03..2020-04`` for a combined first period
    key: Mapped[str] = mapped_column(sa.String(20))
    #: first day of the first month and of the last month
    start_month: Mapped[date] = mapped_column(sa.Date)
    end_month: Mapped[date] = mapped_column(sa.Date)
    measure_set_id: Mapped[int] = mapped_column(sa.ForeignKey("measure_sets.id"))
    #: end of the due day in UK time, as UTC; writes from this moment are late
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: end of the lock day in UK time, as UTC; writes from this moment are refused. None: never locks
    lock_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    programme: Mapped[Programme] = relationship(back_populates="periods")
    measure_set: Mapped[MeasureSet] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("programme_id", "key", name="uq_programme_periods_programme_key"),
        sa.UniqueConstraint("programme_id", "start_month", name="uq_programme_periods_programme_start"),
    )


class Participant(db.Model):
    """An organisation taking part in a programme."""

    __tablename__ = "programme_participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programmes.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: periods due from this moment on expect its return; None (chosen at set-up): every period
    expected_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: no longer taking part from this moment: periods due later expect nothing; its returns stay as history
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()

    @property
    def active(self) -> bool:
        return self.removed_at is None

    __table_args__ = (
        sa.UniqueConstraint("programme_id", "organisation_id", name="uq_programme_participants_programme_org"),
    )


class BidEvidence(db.Model):
    """A programme's figures over a range of periods attached to a bid: its pack gets "Evidence from our members"."""

    __tablename__ = "bid_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bids.id"), unique=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programmes.id"), index=True)
    from_period: Mapped[str] = mapped_column(sa.String(20))
    to_period: Mapped[str] = mapped_column(sa.String(20))
    attached_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    attached_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    programme: Mapped[Programme] = relationship()
