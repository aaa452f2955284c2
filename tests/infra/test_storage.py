"""File storage: the same behaviour from the local and the database backend; reads checked against the digest;
a rolled-back write leaves nothing; downloads stream in chunks, never holding a large file whole."""

from __future__ import annotations

import os
import tracemalloc

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.infra import metrics, storage
from app.models import stored_file_chunks, stored_files
from tests.pdfs import clean_storage

pytestmark = pytest.mark.usefixtures(clean_storage.__name__)
BACKENDS = pytest.mark.parametrize("backend", storage.BACKENDS)
BIG = os.urandom(storage.CHUNK_BYTES * 2 + 1234)


@pytest.fixture
def on(ctx, monkeypatch):
    def use(name: str):
        monkeypatch.setitem(ctx.config, "FILE_STORAGE", name)
        return storage.backend()

    return use


def damage(backend: str, key: str) -> None:
    if backend == "local":
        storage.backend().path(key).write_bytes(b"altered")
    else:
        db.session.execute(sa.update(stored_file_chunks).where(stored_file_chunks.c.file_key == key).values(data=b"x"))
    db.session.commit()


@BACKENDS
def test_a_file_stored_reads_back_whole_and_in_chunks(on, backend):
    on(backend)
    digest = storage.sha256(BIG)
    assert storage.store(f"letters/{digest}.pdf", BIG) is True
    db.session.commit()
    assert storage.read(f"letters/{digest}.pdf", digest) == BIG
    opened = storage.open_verified(f"letters/{digest}.pdf", digest)
    chunks = list(opened.chunks())
    assert opened.size == len(BIG) and b"".join(chunks) == BIG
    assert len(chunks) == 3 and max(map(len, chunks)) <= storage.CHUNK_BYTES
    assert storage.store(f"letters/{digest}.pdf", BIG) is False  # the same bytes are there already


def test_the_database_backend_keeps_chunked_rows_with_the_digest(on):
    on("database")
    digest = storage.sha256(BIG)
    storage.store(f"letters/{digest}.pdf", BIG)
    db.session.commit()
    header = db.session.execute(sa.select(stored_files)).one()
    assert (header.sha256, header.size_bytes, header.chunk_count) == (digest, len(BIG), 3)
    sizes = db.session.scalars(sa.select(sa.func.length(stored_file_chunks.c.data)).order_by("seq")).all()
    assert sizes == [storage.CHUNK_BYTES, storage.CHUNK_BYTES, 1234]


@BACKENDS
def test_a_write_in_a_transaction_that_rolls_back_is_not_kept(on, backend):
    store = on(backend)
    db.session.execute(sa.text("SELECT 1"))  # a service has always begun its transaction by now
    storage.store("letters/" + "a" * 64 + ".pdf", b"%PDF-1.4 unwanted")
    storage.store_folder("packs/1/1", {"bid-pack.pdf": b"pdf", "pledges.csv": b"csv"})
    db.session.rollback()
    for key in ("letters/" + "a" * 64 + ".pdf", "packs/1/1/bid-pack.pdf"):
        with pytest.raises(storage.FileMissing):
            store.chunks(key)


@BACKENDS
def test_missing_and_altered_files_are_refused_and_counted(on, backend):
    on(backend)
    digest = storage.sha256(b"%PDF-1.4 letter")
    key = f"letters/{digest}.pdf"
    before = _errors("missing"), _errors("damaged")
    with pytest.raises(storage.FileMissing):
        storage.read(key, digest)
    storage.store(key, b"%PDF-1.4 letter")
    db.session.commit()
    damage(backend, key)
    with pytest.raises(storage.FileDamaged):
        storage.read(key, digest)
    with pytest.raises(storage.FileDamaged):
        storage.open_verified(key, digest)
    assert storage.state(storage.backend(), key, digest) == "damaged"
    assert (_errors("missing"), _errors("damaged")) == (before[0] + 1, before[1] + 2)


@BACKENDS
def test_a_folder_replaces_what_an_uncommitted_change_left(on, backend):
    store = on(backend)
    storage.store_folder("packs/4/2", {"a.csv": b"old", "b.csv": b"old"})
    db.session.commit()
    storage.store_folder("packs/4/2", {"a.csv": b"new"})
    db.session.commit()
    assert b"".join(store.chunks("packs/4/2/a.csv")) == b"new"
    with pytest.raises(storage.FileMissing):
        store.chunks("packs/4/2/b.csv")


@pytest.mark.parametrize("key", ["../etc/passwd", "letters/../../x", "letters/", "Letters/x", "letters/.hidden", "x"])
def test_keys_outside_the_storage_are_refused(on, key):
    on("local")
    with pytest.raises(ValueError, match="not a storage key"):
        storage.store(key, b"x")


def test_an_unknown_backend_is_refused_by_name(on):
    with pytest.raises(RuntimeError, match="FILE_STORAGE must be one of local, database; got 's3'"):
        on("s3")


@BACKENDS
def test_streaming_a_ten_megabyte_file_holds_a_chunk_at_a_time(on, backend):
    on(backend)
    content = os.urandom(10 * 1024 * 1024)
    digest = storage.sha256(content)
    storage.store(f"letters/{digest}.pdf", content)
    db.session.commit()
    del content
    tracemalloc.start()
    try:
        opened = storage.open_verified(f"letters/{digest}.pdf", digest)
        total = sum(len(chunk) for chunk in opened.chunks())
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == 10 * 1024 * 1024
    assert peak < 4 * storage.CHUNK_BYTES, f"{peak:,} bytes held while streaming 10 MB"


def _errors(kind: str) -> float:
    return metrics.STORAGE_ERRORS.labels(kind=kind)._value.get()


def test_the_app_refuses_to_start_with_an_unknown_backend():
    from app import create_app
    from config import TestConfig

    with pytest.raises(RuntimeError, match="FILE_STORAGE must be one of local, database; got 's3'"):
        create_app(TestConfig, FILE_STORAGE="s3")
