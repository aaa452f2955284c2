"""A convening body's identity: the name, logo, accent colour and funder contact its bid packs carry."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class BodyIdentity(db.Model):
    """One row per convening body that has changed its settings; without a row the packs look as by default."""

    __tablename__ = "body_identities"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), unique=True)
    #: the name on the pack's cover and running header; empty means the organisation's own name
    display_name: Mapped[str | None] = mapped_column(sa.String(200))
    #: the logo file under UPLOAD_DIR/logos, named by its SHA-256
    logo_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    logo_type: Mapped[str | None] = mapped_column(sa.String(10))  #: "png" or "jpeg"
    logo_width: Mapped[int | None] = mapped_column(sa.Integer)
    logo_height: Mapped[int | None] = mapped_column(sa.Integer)
    #: "#rrggbb", dark enough for white text
    accent: Mapped[str | None] = mapped_column(sa.String(7))
    contact_name: Mapped[str | None] = mapped_column(sa.String(200))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(40))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    __table_args__ = (
        sa.CheckConstraint("logo_type IS NULL OR logo_type IN ('png', 'jpeg')", name="logo_type_known"),
        sa.CheckConstraint("accent IS NULL OR length(accent) = 7", name="accent_hex"),
    )
