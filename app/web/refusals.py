"""Refused access is audited: a logged-in person or API caller sent a 403 or 404 about one bid.

One hook for every blueprint, so a new bid-scoped route is covered without remembering to call
anything. The audit row is written in a short transaction of its own: the refused request has
nothing to commit, and its own transaction is ended first (on SQLite it may hold the write lock,
which a second connection would wait on for ever).
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g, request
from flask_login import current_user
from sqlalchemy.orm import Session

from app.database import write_intent
from app.extensions import db
from app.models import AuditEvent
from app.web.transaction import end_read

log = logging.getLogger(__name__)

REFUSED = (403, 404)
#: The view arguments that make a route "about one bid".
BID_ARGS = ("bid_id",)


def refused_event(response: Response) -> AuditEvent | None:
    """The audit row for this response, or None when it is not a refusal worth recording."""
    if response.status_code not in REFUSED or request.view_args is None:
        return None
    bid_id = next((request.view_args[name] for name in BID_ARGS if name in request.view_args), None)
    # A page visitor's session, or an API caller's bearer token (the API ignores cookies).
    user = g.get("api_user") or (current_user if current_user.is_authenticated else None)
    if bid_id is None or user is None:
        return None
    # Not linked to the bid row (it may not exist, and a bid's own log is for its convenors):
    # the bid id asked for is kept in the details.
    return AuditEvent(
        action="access.refused",
        actor_id=user.id,
        organisation_id=user.organisation_id,
        subject_type="Bid",
        subject_id=bid_id if isinstance(bid_id, int) else None,
        after={"path": request.path[:500], "method": request.method, "status": response.status_code},
        ip_address=(request.remote_addr or "")[:64] or None,
    )


def register(app: Flask) -> None:
    @app.after_request
    def audit_refusal(response: Response) -> Response:
        event = refused_event(response)
        if event is None:
            return response
        end_read()  # the refused request has nothing to keep; frees SQLite's write lock
        previous = write_intent.set(True)
        try:
            with Session(db.engine) as session, session.begin():
                session.add(event)
        except Exception:  # the refusal still goes out; a failed audit write is logged, not shown
            log.exception("could not record refused access to %s", request.path)
        finally:
            write_intent.reset(previous)
        return response
