"""The job runner: work outside a request (the scheduler's sweeps, the outbox sender) in units, each its own
transaction, committed here as it ends.

A unit that fails is rolled back and logged, and the next one still runs: a sweep that fails half way keeps
the units it has done, and the next sweep retries the rest (every unit is idempotent). Requests commit in
app.web.transaction and flask commands in app.cli; nothing else commits.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from sqlalchemy.orm import Session

from app.extensions import db

log = logging.getLogger(__name__)
K = TypeVar("K")
R = TypeVar("R")


def each(keys: Iterable[K], work: Callable[[K], R], *, what: str) -> list[tuple[K, R]]:
    """Run ``work(key)`` for every key, committing after each; returns (key, result) for those that succeeded.

    ``what`` names a unit in the log (``"closing bid"`` → ``closing bid 7 failed``).
    """
    done: list[tuple[K, R]] = []
    for key in keys:
        try:
            result = work(key)
            db.session.commit()
        except Exception:  # one bad unit must not stop the others; nothing of it was kept, so it is retried
            db.session.rollback()
            log.exception("%s %s failed", what, key)
            continue
        done.append((key, result))
    return done


@contextlib.contextmanager
def unit(session: Session | None = None) -> Iterator[Session]:
    """One unit of work in ``session`` (default: the app's): committed when the block ends, rolled back if
    it raises (the exception still propagates)."""
    session = session if session is not None else db.session()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    session.commit()


def end_read(session: Session | None = None) -> None:
    """End a transaction that only read (finding the work): on SQLite it may hold the write lock."""
    (session if session is not None else db.session()).rollback()
