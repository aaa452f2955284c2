"""Is SQLite's write lock free right now? For tests that slow work (a PDF, a password hash) holds no lock."""

from __future__ import annotations

import sqlite3

import pytest

from tests.conftest import POSTGRES

only_sqlite = pytest.mark.skipif(POSTGRES, reason="SQLite's database-wide write lock; PostgreSQL locks rows")


def write_lock_free(database_url: str) -> bool:
    """Whether another connection could start writing at once (no wait at all)."""
    other = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return False
        raise
    else:
        other.execute("ROLLBACK")
        return True
    finally:
        other.close()


def recording_lock(monkeypatch, module, name: str, database_url: str) -> list[bool]:
    """Wrap ``module.name`` so that each call records whether the write lock was free as it ran."""
    seen: list[bool] = []
    original = getattr(module, name)

    def wrapped(*args, **kwargs):
        seen.append(write_lock_free(database_url))
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapped)
    return seen
