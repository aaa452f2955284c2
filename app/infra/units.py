"""The job runner: work outside a request (the scheduler's sweeps, the outbox sender) in units, committed here.

``each`` gives every unit its own transaction; ``in_batches`` gives every unit its own SAVEPOINT and commits a
batch of them at a time (the scheduler's reminder and closing steps, where the commit would otherwise cost more
than the unit). Either way a unit that fails is rolled back alone and logged, and the next one still runs: a
sweep that fails half way keeps the units it has done, and the next sweep retries the rest (every unit is
idempotent). Requests commit in app.web.transaction and flask commands in app.cli; nothing else commits.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from sqlalchemy.orm import Session

from app.extensions import db

log = logging.getLogger(__name__)
K = TypeVar("K")
R = TypeVar("R")

#: units per transaction in ``in_batches`` (the scheduler's bids): enough that the commit (on SQLite, taking the
#: write lock and syncing the log) is a small part of each unit's cost, few enough that nothing waits long
BATCH = 25
#: and a batch commits early once its transaction has been open this long, however few units it has done: on
#: SQLite every other writer (a pledge being saved) waits for the write lock until then
BATCH_SECONDS = 0.5


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


def in_batches(
    keys: Iterable[K],
    work: Callable[[K], R],
    *,
    what: str,
    size: int | None = None,
    seconds: float | None = None,
    begin: Callable[[list[K]], None] | None = None,
) -> list[tuple[K, R]]:
    """Run ``work(key)`` for every key, each in its own SAVEPOINT, committing after every ``size`` keys (default
    BATCH) or sooner once the batch's transaction has been open ``seconds`` (default BATCH_SECONDS). Returns
    (key, result) for those that succeeded and were committed.

    A key whose work raises is rolled back to its SAVEPOINT and logged (``closing bid 7 failed``), with what it
    queued for after the commit (app.infra.after_commit); the others of its batch still commit, and the next
    sweep retries it. If a batch's commit fails, the whole batch is rolled back and logged, and retried likewise.
    Email and live events go once the batch has committed.

    ``begin(keys)``, when given, is called as each batch's transaction begins with the keys it may take (the next
    ``size``; fewer are taken if the time runs out), to read or lock what they need in one statement. If it
    raises, that is logged and the units run without it (so each must still work alone).
    """
    size, limit = size or BATCH, BATCH_SECONDS if seconds is None else seconds
    done: list[tuple[K, R]] = []
    batch: list[tuple[K, R]] = []
    tried, started = 0, 0.0  # units tried in the open batch, and when its first began

    def commit() -> None:
        try:
            db.session.commit()
        except Exception:  # nothing of the batch was kept: every unit of it is retried by the next sweep
            db.session.rollback()
            log.exception("%s: a batch of %d failed to commit", what, len(batch))
        else:
            done.extend(batch)
        batch.clear()

    keys = list(keys)
    for position, key in enumerate(keys):
        if not tried:
            started = time.monotonic()
            if begin is not None:
                try:
                    begin(keys[position : position + size])
                except Exception:  # the units then read what they need themselves
                    db.session.rollback()
                    log.exception("%s: preparing a batch failed", what)
        tried += 1
        try:
            with db.session.begin_nested():
                result = work(key)
        except Exception:  # one bad unit must not stop the others; nothing of it was kept, so it is retried
            log.exception("%s %s failed", what, key)
            if not db.session.is_active:  # the SAVEPOINT could not be undone (connection lost): neither can the batch
                db.session.rollback()
                batch.clear()
                tried = 0
                continue
        else:
            batch.append((key, result))
        if tried >= size or time.monotonic() - started >= limit:
            commit()
            tried = 0
    if tried:
        commit()
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
