"""Run work only once the transaction that caused it has committed (email, live events)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_KEY = "after_commit_callbacks"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Call ``callback`` after ``session`` commits; drop it if the session rolls back."""
    session.info.setdefault(_KEY, []).append(callback)


def install(session_class) -> None:
    """Attach the commit and rollback listeners to a session class (once, however many apps are made)."""
    if getattr(session_class, "_after_commit_installed", False):
        return
    session_class._after_commit_installed = True

    @event.listens_for(session_class, "after_commit")
    def _run(session: Session) -> None:
        if session.in_nested_transaction():
            return  # a SAVEPOINT was released: the work is not committed until the outer transaction is
        callbacks = session.info.pop(_KEY, [])
        for callback in callbacks:
            try:
                callback()
            except Exception:  # a failed notification must never undo or hide the committed change
                log.exception("after-commit callback failed")

    @event.listens_for(session_class, "after_soft_rollback")
    def _drop(session: Session, previous_transaction) -> None:
        if previous_transaction.parent is None:
            session.info.pop(_KEY, None)
