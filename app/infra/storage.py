"""Every stored file (letters, logos, bid packs, ...) behind one interface, named by a key such as
``letters/<sha256>.pdf``, in one of two backends chosen by ``FILE_STORAGE``:

- ``local`` (the default): files under ``UPLOAD_DIR`` (and ``PACK_DIR`` for ``packs/...``), as before;
- ``database``: chunked rows in the app's own database (``stored_files`` and ``stored_file_chunks``), so any
  number of web hosts serve every file, and a database backup holds the files too.

Every file is recorded with its SHA-256 by the area that owns it (``Letter.sha256``, ``BodyIdentity.logo_sha256``,
``BidPack.files``); reads check it. Each area registers its files with ``@catalogue`` so that ``flask files check``
and ``flask files migrate`` find them all. Writes join the current transaction: a file stored by a change that
rolls back is not kept. Downloads stream in chunks (``open_verified``), so a large file is never held whole.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from flask import current_app

from app.infra import metrics

log = logging.getLogger(__name__)

#: bytes per chunk, read from disk or stored as one database row
CHUNK_BYTES = 256 * 1024
BACKENDS = ("local", "database")
_KEY = re.compile(r"[a-z]+(/[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}){1,4}")
_CATALOGUE: list[Callable[[], Iterable[tuple[str, str]]]] = []


class FileMissing(LookupError):
    """No file is stored under the key."""


class FileDamaged(ValueError):
    """The stored bytes do not match the digest recorded for them."""


def check_key(key: str) -> str:
    if not _KEY.fullmatch(key) or ".." in key:
        raise ValueError(f"not a storage key: {key!r}")
    return key


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def catalogue(lister: Callable[[], Iterable[tuple[str, str]]]) -> Callable[[], Iterable[tuple[str, str]]]:
    """Register a function yielding ``(key, sha256)`` for every file an area has recorded (decorator)."""
    _CATALOGUE.append(lister)
    return lister


def catalogued() -> Iterator[tuple[str, str]]:
    """Every recorded file, each key once, in key order (so a resumed migration walks the same way)."""
    seen: dict[str, str] = {}
    for lister in _CATALOGUE:
        for key, digest in lister():
            seen.setdefault(key, digest)
    yield from sorted(seen.items())


def backend(name: str | None = None):
    """The configured backend (``FILE_STORAGE``), or the one named."""
    from app.infra.storage_database import DatabaseBackend
    from app.infra.storage_local import LocalBackend

    name = name or current_app.config.get("FILE_STORAGE", "local")
    if name == "local":
        return LocalBackend(current_app.config["UPLOAD_DIR"], current_app.config["PACK_DIR"])
    if name == "database":
        return DatabaseBackend()
    raise RuntimeError(f"FILE_STORAGE must be one of {', '.join(BACKENDS)}; got {name!r}")


def store(key: str, content: bytes) -> bool:
    """Store ``content`` under ``key`` in this transaction; False when the same key is already stored."""
    return _guard("write", lambda: backend().put(check_key(key), content, sha256(content)))


def store_folder(prefix: str, documents: dict[str, bytes]) -> None:
    """Store several files as ``prefix/<name>`` at once, replacing any left there by a change never committed."""
    check_key(f"{prefix}/x")
    _guard("write", lambda: backend().put_folder(prefix, documents))


def read(key: str, digest: str) -> bytes:
    """The whole stored file, checked against ``digest``. Raises FileMissing or FileDamaged."""
    content = b"".join(_guard("read", lambda: backend().chunks(check_key(key))))
    if sha256(content) != digest:
        metrics.file_storage_error("damaged")
        raise FileDamaged(key)
    return content


@dataclass(frozen=True)
class Opened:
    """A stored file checked against its digest, ready to stream: ``size`` bytes in ``chunks()``."""

    key: str
    size: int
    chunks: Callable[[], Iterator[bytes]]


def open_verified(key: str, digest: str) -> Opened:
    """Check the file's digest chunk by chunk, then hand back a second streaming pass for the response.

    At most one chunk is in memory at a time on either pass. Raises FileMissing or FileDamaged.
    """
    store_ = backend()
    hasher, size = hashlib.sha256(), 0
    for chunk in _guard("read", lambda: store_.chunks(check_key(key))):
        hasher.update(chunk)
        size += len(chunk)
    if hasher.hexdigest() != digest:
        metrics.file_storage_error("damaged")
        raise FileDamaged(key)
    return Opened(key, size, lambda: store_.stream(key))


def state(store_, key: str, digest: str) -> str:
    """``ok``, ``missing`` or ``damaged``: the file under ``key`` in the backend ``store_``."""
    hasher = hashlib.sha256()
    try:
        for chunk in store_.chunks(key):
            hasher.update(chunk)
    except FileMissing:
        return "missing"
    return "ok" if hasher.hexdigest() == digest else "damaged"


def _guard(action: str, work):
    """Run a backend call; count and log anything but a missing file as a storage error."""
    try:
        return work()
    except FileMissing:
        metrics.file_storage_error("missing")
        raise
    except Exception:
        metrics.file_storage_error(action)
        log.exception("file storage %s failed", action)
        raise
