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


def live_amount(values: dict | None) -> int:
    """What a pledge with these recorded values (``Pledge.snapshot``) adds to its bid's live total: its amount
    while indicative or confirmed, 0 when withdrawn or when there are no values (no pledge yet)."""
    if not values or values.get("status") not in LIVE_STATUSES:
        return 0
    return int(values.get("amount_pence") or 0)


class Pledge(db.Model):
    """An organisation's pledge to a bid. One row per (bid, organisation): withdrawn and re-pledged in place."""

    __tablename__ = "pledges"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bids.id"))  #: indexed with the amount (below)
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
        #: a bid's pledges largest first (the members table's default order stops after its page), and its
        #: totals by status and the organisations that have pledged, read from the index alone
        sa.Index("ix_pledges_bid_amount", "bid_id", "amount_pence", "status", "organisation_id", "homes"),
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
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bids.id"))  #: indexed with the time (below)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    #: the pledge's version after this change
    version: Mapped[int] = mapped_column(sa.Integer)
    action: Mapped[str] = mapped_column(sa.String(20))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict] = mapped_column(sa.JSON)
    #: the change this revision made to the bid's live total, in pence (``live_amount`` after minus before), and
    #: to its number of organisations with a live pledge (-1, 0 or 1): the pledged-over-time series sums them
    amount_change_pence: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    members_change: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default="0")

    pledge: Mapped[Pledge] = relationship(back_populates="revisions")
    actor: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("pledge_id", "version", name="uq_pledge_revisions_pledge_version"),
        #: the series reads a bid's changes in time order from the index alone
        sa.Index("ix_pledge_revisions_bid_time", "bid_id", "created_at", "id", "amount_change_pence", "members_change"),
    )

    def __init__(self, **values) -> None:
        """A revision; its changes to the live total and member count follow from ``before`` and ``after``."""
        before, after = values.get("before"), values.get("after")
        amount_before, amount_after = live_amount(before), live_amount(after)
        values.setdefault("amount_change_pence", amount_after - amount_before)
        values.setdefault("members_change", (amount_after != 0) - (amount_before != 0))
        super().__init__(**values)
