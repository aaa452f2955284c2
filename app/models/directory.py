"""A convening body's directory: the organisations it works with, their contacts and the body's tags for them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.organisation import Organisation, User
from app.models.types import UTCDateTime, utcnow

entry_tags = sa.Table(
    "directory_entry_tags",
    db.metadata,
    sa.Column("entry_id", sa.ForeignKey("directory_entries.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("directory_tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)

#: which entry each invitation of the body's bids was for (one entry per invitation): the entry's history
entry_invitations = sa.Table(
    "directory_entry_invitations",
    db.metadata,
    sa.Column("invitation_id", sa.ForeignKey("invitations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("entry_id", sa.ForeignKey("directory_entries.id", ondelete="CASCADE"), nullable=False, index=True),
)


class DirectoryEntry(db.Model):
    """One organisation in one convening body's directory.

    ``organisation_id`` is set once the organisation has an account of its own (it accepted one of the body's
    invitations): its profile is then the organisation's, and the copy here is only what the body knew before.
    """

    __tablename__ = "directory_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the convening body whose directory this is
    body_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: Organisation.key_for(name): one entry per name in a body's directory
    name_key: Mapped[str] = mapped_column(sa.String(200))
    identifier: Mapped[str | None] = mapped_column(sa.String(40))
    homes_owned: Mapped[int | None] = mapped_column(sa.Integer)
    regions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    website: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation | None] = relationship(foreign_keys=[organisation_id])
    contacts: Mapped[list[DirectoryContact]] = relationship(
        back_populates="entry",
        cascade="all, delete-orphan",
        order_by="(DirectoryContact.is_primary.desc(), DirectoryContact.id)",
    )
    tags: Mapped[list[DirectoryTag]] = relationship(secondary=entry_tags, order_by="DirectoryTag.name")

    __table_args__ = (
        sa.UniqueConstraint("body_id", "name_key", name="uq_directory_entries_body_name"),
        sa.CheckConstraint("homes_owned IS NULL OR homes_owned >= 0", name="homes_positive"),
        sa.Index(
            "uq_directory_entries_body_organisation",
            "body_id",
            "organisation_id",
            unique=True,
            sqlite_where=sa.text("organisation_id IS NOT NULL"),
            postgresql_where=sa.text("organisation_id IS NOT NULL"),
        ),
    )

    # The profile shown: the organisation's own once it has one, else what the body recorded.
    @property
    def display_name(self) -> str:
        return self.organisation.name if self.organisation else self.name

    def profile(self) -> dict:
        source = self.organisation or self
        return {
            "name": source.name,
            "identifier": source.identifier,
            "homes_owned": source.homes_owned,
            "regions": list(source.regions or []),
            "website": source.website,
        }

    @property
    def primary_contact(self) -> DirectoryContact | None:
        return next((c for c in self.contacts if c.is_primary), self.contacts[0] if self.contacts else None)

    def __repr__(self) -> str:
        return f"<DirectoryEntry {self.id} {self.name!r} body={self.body_id}>"


class DirectoryContact(db.Model):
    """A person at a directory organisation the body writes to; one per entry is the primary contact."""

    __tablename__ = "directory_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("directory_entries.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    email: Mapped[str] = mapped_column(sa.String(254))
    job_title: Mapped[str] = mapped_column(sa.String(200), default="")
    is_primary: Mapped[bool] = mapped_column(default=False)
    #: the account of this person, once they have one
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entry: Mapped[DirectoryEntry] = relationship(back_populates="contacts")
    user: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("entry_id", "email", name="uq_directory_contacts_entry_email"),
        sa.Index("ix_directory_contacts_email", "email"),
        sa.Index(
            "uq_directory_contacts_one_primary",
            "entry_id",
            unique=True,
            sqlite_where=sa.text("is_primary"),
            postgresql_where=sa.text("is_primary"),
        ),
    )


class DirectoryTag(db.Model):
    """A body's label for a group of its organisations ("Wales", "2020 match-fund consortium")."""

    __tablename__ = "directory_tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    name_key: Mapped[str] = mapped_column(sa.String(80))

    __table_args__ = (sa.UniqueConstraint("body_id", "name_key", name="uq_directory_tags_body_name"),)
