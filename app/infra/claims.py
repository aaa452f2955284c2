"""Exactly-once claims: a row under a unique constraint, written by whichever process gets there first.

The scheduler's steps claim their work this way, so two schedulers running at once (or a sweep and a
convenor's button) never do the same thing twice: ``claim_row`` takes one key in one statement; ``claim_rows``
takes many in one statement and says which it got; ``in_batch`` writes the claims of many items in one
SAVEPOINT and falls back to one SAVEPOINT per item when one clashes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from app.extensions import db

log = logging.getLogger(__name__)
T = TypeVar("T")


def claim_row(table: sa.Table, values: dict) -> bool:
    """Insert one row unless its unique key is already taken, in one statement (INSERT … ON CONFLICT DO NOTHING).

    True when this call wrote the row. On PostgreSQL a claim made by a transaction still running waits for it:
    once that commits this one finds the key taken (False); if it rolls back, this one takes it.
    """
    # The values as parameters of one statement per table and columns, built once: a statement built with
    # ``.values(...)`` would be compiled (its cache key worked out) again on every call.
    dialect = db.session.get_bind().dialect.name
    key = (table.name, dialect, tuple(sorted(values)))
    statement = _CLAIMS.get(key)
    if statement is None:
        insert = (postgresql if dialect == "postgresql" else sqlite).insert(table).on_conflict_do_nothing()
        # RETURNING, not rowcount: PostgreSQL's driver reports no rowcount for an INSERT that returns its key.
        statement = _CLAIMS[key] = insert.returning(*table.primary_key.columns)
    return db.session.execute(statement, values).first() is not None


#: claim_row's statements, by table, dialect and the columns given
_CLAIMS: dict[tuple, sa.Insert] = {}


def claim_rows(table: sa.Table, rows: list[dict], key: str) -> set:
    """Insert the rows whose unique key is not already taken, in one statement (INSERT … ON CONFLICT DO NOTHING
    RETURNING); returns the ``key`` column's values of the rows this call wrote. A row left out was claimed by
    someone else first: whatever the caller queued for it must be undone in the same transaction."""
    if not rows:
        return set()
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).on_conflict_do_nothing().returning(table.c[key])
    return set(db.session.execute(statement, rows).scalars())


def in_batch(items: Sequence[T], write: Callable[[Sequence[T]], None], *, what: str = "claim") -> list[T]:
    """Run ``write(items)`` (which inserts their claim rows, and queues what they cause) in one SAVEPOINT.

    If any claim clashes with one already made (IntegrityError), the batch is undone and each item is written
    in its own SAVEPOINT instead, skipping those already claimed. Returns the items this call claimed.
    """
    if not items:
        return []
    try:
        with db.session.begin_nested():
            write(items)
        return list(items)
    except IntegrityError:
        log.warning("%s: a claim of the batch clashed; claiming one by one", what)
    claimed = []
    for item in items:
        try:
            with db.session.begin_nested():
                write([item])
        except IntegrityError:
            continue
        claimed.append(item)
    return claimed
