"""A change that has committed is never reported as failed by what runs after it.

Steps after the view (after-request hooks such as the rate limiter's headers, teardown functions) can fail
for reasons unrelated to the change: a Redis pool exhausted, a connection dropped. Once the request's
session has committed a write, such a failure is logged and the view's response goes out as it was. A
teardown failure is always logged, never raised (by then the response is made). An unexpected error after
such a commit is still an error, but its page says the change was saved (``app.web.errors``).
"""

from __future__ import annotations

import functools
import logging

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_WROTE = "transaction_wrote"
_GUARDED = "_guarded_after_commit"
#: kept in the WSGI environ: it belongs to this request (an app context may outlive it, as in tests)
_ENVIRON_KEY = "bids.committed_write"


def committed_write() -> bool:
    """Whether the current request's session has committed a write."""
    return has_request_context() and bool(request.environ.get(_ENVIRON_KEY))


def install(session_class) -> None:
    """Note, on the request, every commit of a transaction that wrote (once per session class)."""
    if getattr(session_class, "_committed_write_installed", False):
        return
    session_class._committed_write_installed = True

    @event.listens_for(session_class, "after_flush")
    def _flushed(session: Session, flush_context) -> None:
        session.info[_WROTE] = True

    @event.listens_for(session_class, "do_orm_execute")
    def _executed(state) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            state.session.info[_WROTE] = True

    @event.listens_for(session_class, "after_commit")
    def _committed(session: Session) -> None:
        if session.in_nested_transaction():
            return
        if session.info.pop(_WROTE, False) and has_request_context():
            request.environ[_ENVIRON_KEY] = True

    @event.listens_for(session_class, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop(_WROTE, None)


def _guard_after_request(app: Flask, func):
    if getattr(func, _GUARDED, False):
        return func

    @functools.wraps(func)
    def run(response):
        try:
            return app.ensure_sync(func)(response)
        except Exception:
            if not committed_write():
                raise
            log.exception("an after-request step failed after the change was committed; sending the response")
            return response

    setattr(run, _GUARDED, True)
    return run


def _guard_teardown(app: Flask, func):
    if getattr(func, _GUARDED, False):
        return func

    @functools.wraps(func)
    def run(exc):
        try:
            return app.ensure_sync(func)(exc)
        except Exception:  # the response is already made: a failure here must not become a 500
            log.exception("a teardown step failed")
            return None

    setattr(run, _GUARDED, True)
    return run


def register(app: Flask) -> None:
    """Guard every after-request and teardown function registered so far (call it last in the factory)."""
    from app.extensions import db

    install(db.session.session_factory.class_)
    for funcs in app.after_request_funcs.values():
        funcs[:] = [_guard_after_request(app, f) for f in funcs]
    for funcs in app.teardown_request_funcs.values():
        funcs[:] = [_guard_teardown(app, f) for f in funcs]
    app.teardown_appcontext_funcs[:] = [_guard_teardown(app, f) for f in app.teardown_appcontext_funcs]
