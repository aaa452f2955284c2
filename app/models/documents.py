"""Letters of commitment, bid packs and funder links."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.organisation import User
from app.models.types import UTCDateTime, utcnow


class Letter(db.Model):
    """A PDF letter of commitment for a pledge. The newest not superseded is current."""

    __tablename__ = "letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(sa.ForeignKey("pledges.id"), index=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bids.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size_bytes: Mapped[int] = mapped_column(sa.Integer)
    #: the name it was uploaded with, cleaned; the file on disk is named by its SHA-256
    filename: Mapped[str] = mapped_column(sa.String(200))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    uploaded_by: Mapped[User] = relationship()


class BidPack(db.Model):
    """A frozen snapshot of a bid: one version of the PDF, spreadsheets and ZIP, with their digests."""

    __tablename__ = "bid_packs"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bids.id"), index=True)
    version: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: headline figures as they stood: total_pence, homes, members, confirmed_pence, ...
    figures: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: file name → {"sha256": ..., "size": ...}
    files: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    created_by: Mapped[User | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("bid_id", "version", name="uq_bid_packs_bid_version"),)


class FunderLink(db.Model):
    """A private, expiring, revocable link through which a funder opens one pack version."""

    __tablename__ = "funder_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bids.id"), index=True)
    pack_id: Mapped[int] = mapped_column(sa.ForeignKey("bid_packs.id"))
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(254))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    pack: Mapped[BidPack] = relationship()


class FunderLinkAccess(db.Model):
    """One use of a funder link: when, and which file (or the page)."""

    __tablename__ = "funder_link_accesses"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(sa.ForeignKey("funder_links.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    what: Mapped[str] = mapped_column(sa.String(100))
    ip_address: Mapped[str | None] = mapped_column(sa.String(64))
