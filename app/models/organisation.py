"""Organisations (convening bodies and member landlords) and their users."""

from __future__ import annotations

import contextvars
import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.types import UTCDateTime, str_enum, utcnow

#: Set by the seeding path (``app.seeding``) while it runs, in its own context only: (password, one hash of it).
#: Its accounts share one password, and a slow scrypt hash for each would take seconds per account.
shared_password_hash: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "shared_password_hash", default=None
)


class OrganisationKind(enum.StrEnum):
    CONVENOR = "convenor"
    MEMBER = "member"


class Role(enum.StrEnum):
    CONVENOR = "convenor"
    MEMBER = "member"


class Organisation(db.Model):
    """A convening body or a member landlord."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: lower-cased, spaces folded: two organisations cannot share a name
    name_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(str_enum(OrganisationKind))
    #: org-id, e.g. GB-SHPE-L0026
    identifier: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    homes_owned: Mapped[int | None] = mapped_column(sa.Integer)
    #: ITL1 region codes (app.regions)
    regions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    website: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organisation")

    __table_args__ = (sa.CheckConstraint("homes_owned IS NULL OR homes_owned >= 0", name="homes_owned_positive"),)

    @staticmethod
    def key_for(name: str) -> str:
        return " ".join(name.split()).casefold()

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class User(UserMixin, db.Model):
    """A person who logs in. Belongs to one organisation."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    #: a manager of a member organisation approves or refuses requests to join it (the first user is one)
    is_manager: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: bumped on logout, password change and disablement: older session cookies stop working
    session_version: Mapped[int] = mapped_column(default=1)
    digest_opt_out: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: set when the person's name and address were replaced by a pseudonym (``users.erase``)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship(back_populates="users")

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled users cannot log in
        return self.is_enabled

    @property
    def is_convenor(self) -> bool:
        return self.role == Role.CONVENOR

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"

    def set_password(self, password: str) -> None:
        self.password_hash = self.hash_password(password)

    @staticmethod
    def hash_password(password: str) -> str:
        """The stored form of a password (slow on purpose): made before a write transaction where possible."""
        shared = shared_password_hash.get()
        return shared[1] if shared and shared[0] == password else generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"
