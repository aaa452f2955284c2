"""Pledges of match funding and their revision history."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.bid import Bid
from app.models.organisation import Organisation, User
from app.models.types import UTCDateTime, str_enum, utcnow


class PledgeStatus(enum.StrEnum):
    INDICATIVE = "indicative"
    CONFIRMED = "confirmed"  #: board-approved
    WITHDRAWN = "withdrawn"


LIVE_STATUSES = (PledgeStatus.INDICATIVE, PledgeStatus.CONFIRMED)


class Pledge(db.Model):
    """An organisation's pledge to a bid. One row per (bid, organisation): withdrawn and re-pledged in place."""

    __tablename__ = "pledges"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bids.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    amount_pence: Mapped[int] = mapped_column(sa.BigInteger)
    homes: Mapped[int] = mapped_column(sa.Integer)
    #: ITL1 region codes the pledge covers
    regions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    statement: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[PledgeStatus] = mapped_column(str_enum(PledgeStatus))
    terms_accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: saved during the bid's grace window after the deadline
    in_grace: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when the bid was lost or withdrawn: the money is no longer held (the pledge stays as history)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    updated_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    bid: Mapped[Bid] = relationship()
    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User] = relationship(foreign_keys=[updated_by_id])
    revisions: Mapped[list[PledgeRevision]] = relationship(
        back_populates="pledge", order_by="PledgeRevision.version.desc()"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.UniqueConstraint("bid_id", "organisation_id", name="uq_pledges_bid_organisation"),
        sa.CheckConstraint("amount_pence > 0", name="amount_positive"),
        sa.CheckConstraint("homes >= 0", name="homes_positive"),
        sa.CheckConstraint("status IN ('indicative', 'confirmed', 'withdrawn')", name="status_valid"),
    )

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    def snapshot(self) -> dict:
        """The values a revision records."""
        return {
            "amount_pence": self.amount_pence,
            "homes": self.homes,
            "regions": list(self.regions or []),
            "statement": self.statement,
            "status": str(self.status),
        }


class PledgeRevision(db.Model):
    """One accepted change to a pledge: who, when, and the values before and after."""

    __tablename__ = "pledge_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(sa.ForeignKey("pledges.id"), index=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bids.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    #: the pledge's version after this change
    version: Mapped[int] = mapped_column(sa.Integer)
    action: Mapped[str] = mapped_column(sa.String(20))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict] = mapped_column(sa.JSON)

    pledge: Mapped[Pledge] = relationship(back_populates="revisions")
    actor: Mapped[User | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("pledge_id", "version", name="uq_pledge_revisions_pledge_version"),)
