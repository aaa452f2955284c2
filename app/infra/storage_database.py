"""The database backend: each file a ``stored_files`` row (key, digest, size) and its bytes in
``stored_file_chunks`` rows of at most CHUNK_BYTES, written in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app import database
from app.extensions import db
from app.infra import clock
from app.infra.storage import CHUNK_BYTES, FileMissing
from app.models.stored_file import stored_file_chunks, stored_files


class DatabaseBackend:
    name = "database"

    def put(self, key: str, content: bytes, digest: str) -> bool:
        session = db.session()
        if session.scalar(sa.select(stored_files.c.key).where(stored_files.c.key == key)) is not None:
            return False
        try:
            with session.begin_nested():  # another host storing the same bytes at once: theirs is kept
                self._insert(key, content, digest)
        except IntegrityError:
            return False
        return True

    def put_folder(self, prefix: str, documents: dict[str, bytes]) -> None:
        from app.infra.storage import sha256

        session = db.session()
        session.execute(sa.delete(stored_files).where(stored_files.c.key.startswith(f"{prefix}/", autoescape=True)))
        for name, content in documents.items():
            self._insert(f"{prefix}/{name}", content, sha256(content))

    def _insert(self, key: str, content: bytes, digest: str) -> None:
        session = db.session()
        view = memoryview(content)
        count = max(1, -(-len(content) // CHUNK_BYTES))
        session.execute(
            sa.insert(stored_files).values(
                key=key, sha256=digest, size_bytes=len(content), chunk_count=count, stored_at=clock.now()
            )
        )
        for seq in range(count):  # one row at a time: at most one chunk copied beside the content
            part = bytes(view[seq * CHUNK_BYTES : (seq + 1) * CHUNK_BYTES])
            session.execute(sa.insert(stored_file_chunks).values(file_key=key, seq=seq, data=part))

    def _count(self, execute, key: str) -> int:
        count = execute(sa.select(stored_files.c.chunk_count).where(stored_files.c.key == key)).scalar()
        if count is None:
            raise FileMissing(key)
        return count

    def chunks(self, key: str) -> Iterator[bytes]:
        """Read in the current transaction (so a file stored by it is seen), one chunk row per query."""
        session = db.session()
        count = self._count(session.execute, key)
        return (session.execute(_chunk(key, seq)).scalar_one() for seq in range(count))

    def stream(self, key: str) -> Iterator[bytes]:
        """Read after the request's transaction has ended (a response body): a short read per chunk."""
        engine = db.engine
        with database.reading(), engine.connect() as conn:
            count = self._count(conn.execute, key)
        return _stream(engine, key, count)

    def delete(self, key: str) -> None:
        db.session.execute(sa.delete(stored_file_chunks).where(stored_file_chunks.c.file_key == key))
        db.session.execute(sa.delete(stored_files).where(stored_files.c.key == key))

    def digest_of(self, key: str) -> str | None:
        return db.session.scalar(sa.select(stored_files.c.sha256).where(stored_files.c.key == key))


def _chunk(key: str, seq: int):
    return sa.select(stored_file_chunks.c.data).where(
        stored_file_chunks.c.file_key == key, stored_file_chunks.c.seq == seq
    )


def _stream(engine, key: str, count: int) -> Iterator[bytes]:
    for seq in range(count):
        with database.reading(), engine.connect() as conn:
            data = conn.execute(_chunk(key, seq)).scalar_one_or_none()
        if data is None:
            raise FileMissing(key)
        yield data
