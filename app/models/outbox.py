"""Outgoing email, queued in the transaction that causes it and sent after commit."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, str_enum, utcnow


class EmailStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  #: gave up after the last attempt


def new_message_id(domain: str = "localhost") -> str:
    """A globally unique RFC 5322 Message-ID, ``<random@domain>``."""
    return f"<{uuid.uuid4().hex}@{domain}>"


class EmailMessage(db.Model):
    """A rendered email waiting to be sent, or the record that it was."""

    __tablename__ = "email_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the Message-ID header, fixed when queued and sent on every attempt, so a copy sent again after a
    #: crash is recognisable as the same message. Unique and set before the insert, so it is also the insert
    #: sentinel: SQLAlchemy batches a flush of many messages into one INSERT … RETURNING on SQLite too
    #: (without it SQLite gets one INSERT per message, as it cannot promise RETURNING's row order).
    message_id: Mapped[str] = mapped_column(sa.String(255), unique=True, default=new_message_id, insert_sentinel=True)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    #: where replies go (the convenor who sent an invitation); the sender's address when empty
    reply_to: Mapped[str | None] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    #: the template name, e.g. "invitation"; for listing what was sent
    kind: Mapped[str] = mapped_column(sa.String(40))
    bid_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bids.id"))
    status: Mapped[EmailStatus] = mapped_column(str_enum(EmailStatus), default=EmailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.Index("ix_email_messages_status_next", "status", "next_attempt_at"),
        #: a bid's emails, and those of them not sent (``notifications.failed_count``)
        sa.Index("ix_email_messages_bid_status", "bid_id", "status", "attempts"),
    )
