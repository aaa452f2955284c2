"""Files outside the database: atomic writes that are undone when the transaction rolls back, and safe names."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import unicodedata
from pathlib import Path

from app.extensions import db
from app.infra.after_commit import on_rollback

_NOT_SLUG = re.compile(r"[^A-Za-z0-9]+")


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def write_atomic(path: Path, content: bytes) -> bool:
    """Write ``content`` to ``path`` through a temporary file and ``os.replace``; readers never see half a file.

    Returns False (and writes nothing) when the file already exists, which for content-addressed names
    means the same bytes are already stored. A file this call creates is removed again if the current
    database transaction rolls back, so a refused or failed change leaves nothing behind on disk.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return False
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    on_rollback(db.session(), lambda: path.unlink(missing_ok=True))
    return True


def publish_directory(files: dict[str, bytes], target: Path) -> None:
    """Write several files into ``target`` at once: built in a temporary sibling folder, then renamed into place.

    A folder left at ``target`` by a transaction that never committed is replaced. The folder is removed
    again if the current transaction rolls back.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
    try:
        for name, content in files.items():
            with open(staging / name, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    on_rollback(db.session(), lambda: shutil.rmtree(target, ignore_errors=True))


def slug(text: str, *, limit: int = 60, fallback: str = "file") -> str:
    """ASCII letters, digits and hyphens only: safe in any file system, ZIP or Content-Disposition header.

    A name longer than ``limit`` is cut at the last word boundary (hyphen) that fits, never mid-word; a single word
    longer than the limit is cut at the limit.
    """
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii")
    cleaned = _NOT_SLUG.sub("-", ascii_text).strip("-")
    if len(cleaned) > limit:
        cut = cleaned[: limit + 1]
        cleaned = cut.rsplit("-", 1)[0] if "-" in cut[1:] else cleaned[:limit]
    return cleaned.strip("-") or fallback
