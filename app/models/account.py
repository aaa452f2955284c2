"""Account links (password reset, email change, a colleague's invitation) and the record of signed-in sessions."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.organisation import Organisation, User
from app.models.types import UTCDateTime, str_enum, utcnow


class LinkPurpose(enum.StrEnum):
    PASSWORD_RESET = "password_reset"  # noqa: S105  (a purpose, not a password)
    EMAIL_CHANGE = "email_change"
    COLLEAGUE = "colleague"


class AccountLink(db.Model):
    """One single-use emailed link. Only the SHA-256 of its signed token is kept.

    A password reset and an email change belong to ``user``; a colleague's invitation belongs to
    ``organisation`` and names the invited ``email`` (``user`` is set once it is accepted). A newer link of the
    same purpose for the same person revokes the older one.
    """

    __tablename__ = "account_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[LinkPurpose] = mapped_column(str_enum(LinkPurpose))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    #: the new address (email change) or the invited colleague's address
    email: Mapped[str | None] = mapped_column(sa.String(254))
    #: a colleague's invitation: whether they join as a manager
    as_manager: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: set when a newer link replaced it, or a manager withdrew it
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    organisation: Mapped[Organisation | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def is_open(self) -> bool:
        return self.used_at is None and self.revoked_at is None


class UserSession(db.Model):
    """A signed-in browser, so a person can see their other sessions and end them.

    The browser's session cookie holds a random key; only its SHA-256 is kept. Ending a session sets
    ``ended_at``: that browser is logged out on its next request.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: updated at most every few minutes, not on every request
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the browser's own description of itself, shortened (it is whatever the browser sends)
    user_agent: Mapped[str | None] = mapped_column(sa.String(200))
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
