"""The audit log and the per-bid event log that live updates replay."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.organisation import User
from app.models.types import UTCDateTime, utcnow


class AuditEvent(db.Model):
    """Who did what to which object, with the values before and after. Written in the change's transaction."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    bid_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bids.id"), index=True)
    #: dotted verb, e.g. "pledge.amended", "bid.opened", "auth.login_failed"
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    subject_type: Mapped[str | None] = mapped_column(sa.String(40))
    subject_id: Mapped[int | None] = mapped_column(sa.Integer)
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    ip_address: Mapped[str | None] = mapped_column(sa.String(64))

    actor: Mapped[User | None] = relationship()


class BidEvent(db.Model):
    """A change on a bid that open dashboards must see. The id is the SSE event id."""

    __tablename__ = "bid_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bids.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: e.g. "pledge.created", "invitation.accepted", "bid.extended"
    kind: Mapped[str] = mapped_column(sa.String(40))
    #: the organisation the event is about, when there is one (for filtering what members see)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    __table_args__ = (
        sa.Index("ix_bid_events_bid_id_id", "bid_id", "id"),
        #: the dashboard's feed: a bid's latest events
        sa.Index("ix_bid_events_bid_time", "bid_id", "created_at", "id"),
    )
