"""One transaction per request, committed in one place.

Every view of the pages and of the API runs inside ``run_view``: the request's changes are committed once,
after the view has returned its response, and rolled back when it raises anything at all (a domain error, an
``abort``, a bug). The registered error handlers (app.web.errors, app.api.errors) then turn the exception
into a page or a problem+json response. Views and services never commit; email and live events queued with
app.infra.after_commit leave only once this commit has happened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from app import database
from app.extensions import db


def run_view(dispatch: Callable[[], Any]) -> Any:
    """Call the view; commit what it did if it returned, roll it all back if it raised."""
    try:
        result = dispatch()
    except BaseException:
        db.session.rollback()
        raise
    try:
        db.session.commit()
    except BaseException:
        # A commit that fails (a lost database, a constraint checked at commit) leaves nothing half-saved:
        # the error handlers answer 503 or 500 from here.
        db.session.rollback()
        raise
    return result


def end_read() -> None:
    """End whatever the request has read since its commit, before work in another session.

    An error page's rendering may have begun a transaction (loading the logged-in user); on SQLite it
    can hold the write lock that a second connection, writing the refusal's audit row, would wait on. A view
    also ends a transaction that only read before slow work or before the writes that follow, so the write
    lock is held only for those writes.
    """
    db.session.rollback()


def done_writing() -> None:
    """The request has nothing (more) to write, only a page to render: end its transaction, and SQLite's write
    lock with it, so what follows reads in a read transaction that other writers do not wait behind."""
    database.done_writing(db.session)


class App(Flask):
    """The Flask application, whose views each run in one transaction (see ``run_view``)."""

    def dispatch_request(self):  # type: ignore[override]
        return run_view(super().dispatch_request)


__all__ = ["App", "done_writing", "end_read", "run_view"]
