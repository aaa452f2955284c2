"""Run work only once the transaction that caused it has committed (email, live events), or undo work
outside the database (a file written) when it rolls back.

SAVEPOINTs count too: what was queued inside a SAVEPOINT that is rolled back (``begin_nested()`` left by an
exception: one bid of a sweep's batch failing) is dropped, and its undo callbacks run then, while what the
SAVEPOINTs around it and before it queued still waits for the outer commit."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_KEY = "after_commit_callbacks"
_READY = "after_commit_ready"
_ROLLBACK_KEY = "after_rollback_callbacks"
_MARKS = "after_commit_savepoint_marks"
#: The session.info lists that a rolled-back SAVEPOINT cuts back to their length when it began.
_SCOPED = [_KEY, _ROLLBACK_KEY]


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Call ``callback`` after ``session`` commits; drop it if the session rolls back."""
    session.info.setdefault(_KEY, []).append(callback)


def on_rollback(session: Session, callback: Callable[[], None]) -> None:
    """Call ``callback`` if ``session`` rolls back (to undo work outside the database, such as a file written)."""
    session.info.setdefault(_ROLLBACK_KEY, []).append(callback)


def scoped_list(session: Session, key: str) -> list:
    """``session.info[key]``, a list that a rolled-back SAVEPOINT cuts back as it does the callbacks: for work
    gathered during a transaction and handed over by one callback at commit (the emails queued)."""
    if key not in _SCOPED:
        _SCOPED.append(key)
    return session.info.setdefault(key, [])


def install(session_class) -> None:
    """Attach the commit and rollback listeners to a session class (once, however many apps are made)."""
    if getattr(session_class, "_after_commit_installed", False):
        return
    session_class._after_commit_installed = True

    @event.listens_for(session_class, "after_commit")
    def _committed(session: Session) -> None:
        if session.in_nested_transaction():
            return  # a SAVEPOINT was released: nothing is committed until the outer transaction is
        session.info.pop(_ROLLBACK_KEY, None)
        session.info.setdefault(_READY, []).extend(session.info.pop(_KEY, []))

    # Run the callbacks once the transaction has ended and its connection is back in the pool: a callback
    # that opens its own session (sending email inline) would otherwise hold two connections at once, and
    # enough concurrent requests doing that exhaust the pool and wait on each other until it times out.
    @event.listens_for(session_class, "after_transaction_end")
    def _run(session: Session, transaction) -> None:
        if transaction.parent is not None:
            return
        session.info.pop(_MARKS, None)
        # A commit has already taken the undo list (after_commit runs first), so anything left here
        # belongs to a transaction that was rolled back or closed without committing.
        for callback in session.info.pop(_ROLLBACK_KEY, []):
            try:
                callback()
            except Exception:
                log.exception("after-rollback callback failed")
        for callback in session.info.pop(_READY, []):
            try:
                callback()
            except Exception:  # a failed notification must never undo or hide the committed change
                log.exception("after-commit callback failed")

    @event.listens_for(session_class, "after_transaction_create")
    def _mark(session: Session, transaction) -> None:
        if transaction.nested:
            marks = session.info.setdefault(_MARKS, {})
            marks[transaction] = {key: len(session.info.get(key, ())) for key in _SCOPED}

    @event.listens_for(session_class, "after_soft_rollback")
    def _drop(session: Session, previous_transaction) -> None:
        if previous_transaction.parent is None:
            session.info.pop(_KEY, None)
            session.info.pop(_MARKS, None)
            return
        mark = session.info.get(_MARKS, {}).pop(previous_transaction, None)
        if mark is None:
            return
        # A SAVEPOINT rolled back: undo what it did outside the database, forget what it queued.
        undo = session.info.get(_ROLLBACK_KEY, [])
        for callback in undo[mark[_ROLLBACK_KEY] :]:
            try:
                callback()
            except Exception:
                log.exception("after-rollback callback failed")
        for key in _SCOPED:
            if key in session.info:
                del session.info[key][mark.get(key, 0) :]
