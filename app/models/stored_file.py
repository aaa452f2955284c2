"""Stored files in the database backend (app.infra.storage_database): a header row per file, its bytes in chunks."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models.types import UTCDateTime

stored_files = sa.Table(
    "stored_files",
    db.metadata,
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("chunk_count", sa.Integer, nullable=False),
    sa.Column("stored_at", UTCDateTime, nullable=False),
)
stored_file_chunks = sa.Table(
    "stored_file_chunks",
    db.metadata,
    sa.Column("file_key", sa.String(300), sa.ForeignKey("stored_files.key", ondelete="CASCADE"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)
