"""After the bid: the recorded outcome of a submitted bid, and the grants members make in delivery."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.bid import Bid
from app.models.organisation import Organisation, User
from app.models.types import UTCDateTime, utcnow


class BidOutcome(db.Model):
    """What became of a submitted bid: one row per bid, corrected in place (each change is audited).

    The result itself is the bid's status (won, lost, withdrawn); this row holds the details of it.
    """

    __tablename__ = "bid_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bids.id"), unique=True)
    result: Mapped[str] = mapped_column(sa.String(20))
    amount_awarded_pence: Mapped[int | None] = mapped_column(sa.BigInteger)
    award_date: Mapped[date | None] = mapped_column(sa.Date)
    #: the funder's own reference for the grant
    grant_reference: Mapped[str | None] = mapped_column(sa.String(100))
    conditions: Mapped[str] = mapped_column(sa.Text, default="")
    #: the date by which the money must be spent
    spend_by: Mapped[date | None] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    feedback: Mapped[str] = mapped_column(sa.Text, default="")
    #: members with no grants recorded by this date are reminded once (app.services.grant_reminders)
    grants_due_by: Mapped[date | None] = mapped_column(sa.Date)
    #: set when the convenor closes delivery: grants can no longer be added, changed or deleted
    delivery_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    bid: Mapped[Bid] = relationship()
    recorded_by: Mapped[User] = relationship()

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint("result IN ('won', 'lost', 'withdrawn')", name="result_valid"),
        sa.CheckConstraint(
            "result <> 'won' OR (amount_awarded_pence IS NOT NULL AND amount_awarded_pence > 0 "
            "AND award_date IS NOT NULL)",
            name="won_has_award",
        ),
    )


class Grant(db.Model):
    """A grant a member organisation made to a local group from its pledged (and any funder) money."""

    __tablename__ = "grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bids.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    #: the stable part of the 360Giving grant id: never changes, whatever else is edited
    reference: Mapped[str] = mapped_column(sa.String(40), unique=True)
    recipient_name: Mapped[str] = mapped_column(sa.String(200))
    #: the name folded for matching recipients across members, as the directory folds names
    #: (app.services.grants.recipient_key = app.services.directory_names.duplicate_key)
    recipient_key: Mapped[str] = mapped_column(sa.String(200), index=True)
    recipient_charity_number: Mapped[str | None] = mapped_column(sa.String(20))
    recipient_company_number: Mapped[str | None] = mapped_column(sa.String(20))
    #: another org-id the recipient has (e.g. GB-MPR-12345R)
    recipient_identifier: Mapped[str | None] = mapped_column(sa.String(60))
    amount_pence: Mapped[int] = mapped_column(sa.BigInteger)
    #: of the amount: the funder's money passed through, and the member's own match funding
    funder_pence: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    match_pence: Mapped[int] = mapped_column(sa.BigInteger)
    award_date: Mapped[date] = mapped_column(sa.Date)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    planned_start: Mapped[date | None] = mapped_column(sa.Date)
    planned_end: Mapped[date | None] = mapped_column(sa.Date)
    location_name: Mapped[str] = mapped_column(sa.String(200), default="")
    #: ONS GSS code of the beneficiary location, e.g. E08000003
    location_gss: Mapped[str | None] = mapped_column(sa.String(9))
    #: ITL1 region code (app.regions)
    region: Mapped[str | None] = mapped_column(sa.String(3))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    updated_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    bid: Mapped[Bid] = relationship()
    organisation: Mapped[Organisation] = relationship()

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint("amount_pence > 0", name="amount_positive"),
        sa.CheckConstraint("funder_pence >= 0 AND match_pence >= 0", name="sources_positive"),
        sa.CheckConstraint("funder_pence + match_pence = amount_pence", name="sources_add_up"),
        sa.CheckConstraint(
            "planned_end IS NULL OR planned_start IS NULL OR planned_end >= planned_start", name="planned_order"
        ),
        sa.Index("ix_grants_bid_organisation", "bid_id", "organisation_id"),
    )

    def snapshot(self) -> dict:
        """The values an audit event records."""
        return {name: getattr(self, name) for name in GRANT_FIELDS}


#: The fields a member sets on a grant.
GRANT_FIELDS = (
    "recipient_name",
    "recipient_charity_number",
    "recipient_company_number",
    "recipient_identifier",
    "amount_pence",
    "funder_pence",
    "match_pence",
    "award_date",
    "title",
    "description",
    "planned_start",
    "planned_end",
    "location_name",
    "location_gss",
    "region",
)
