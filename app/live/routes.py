"""Live views: ``/bids/<id>/events`` (Server-Sent Events) and ``/bids/<id>/live.json`` (polling fallback)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, abort, current_app, request, session, stream_with_context
from flask.globals import request_ctx
from flask_login import current_user

from app.extensions import db
from app.infra import clock, metrics
from app.live import render, stream
from app.services import access, snapshots
from app.services.member_table import MemberQuery

bp = Blueprint("live", __name__)


def _viewer(bid_id: int) -> snapshots.Audience:
    """The audience for the current user, or 401 (not logged in) / 404 (NotFound: may not see the bid)."""
    if not current_user.is_authenticated:
        abort(401)  # a stream or poll cannot follow a redirect to the login page
    return snapshots.audience_for(current_user, access.get_bid_for_viewer(current_user, bid_id))


def _stream_viewer() -> snapshots.Viewer:
    """The stream's viewer: the user, the session's version, and when the session times out."""
    limit = current_app.config["PERMANENT_SESSION_LIFETIME"]
    limit = limit.total_seconds() if hasattr(limit, "total_seconds") else float(limit)
    ends = clock.now() + timedelta(seconds=current_app.config["SESSION_IDLE_SECONDS"])
    login_at = session.get("login_at")
    if isinstance(login_at, int | float):
        ends = min(ends, datetime.fromtimestamp(login_at, UTC) + timedelta(seconds=limit))
    return snapshots.Viewer(current_user.id, session_version=current_user.session_version, expires_at=ends)


def _leave_the_session_cookie_alone() -> None:
    """Send no session cookie with a stream or a poll.

    These requests run beside the page's own: a stream's response can arrive after a form post's and would put
    the cookie back as it was before the post (losing, for one, the flash message the post set). They only
    read the session, so they swap in a null session, which Flask does not save.
    """
    null = current_app.session_interface.make_null_session(current_app)
    ctx = request_ctx._get_current_object()
    if isinstance(getattr(type(ctx), "session", None), property):
        ctx._session = null  # Flask 3.1 keeps it here; tests/live/test_stream.py checks no cookie is sent
    else:
        ctx.session = null


def _last_event_id() -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    try:
        value = int(raw) if raw not in (None, "") else None
    except ValueError:
        return None
    return value if value is None or value >= 0 else None


@bp.get("/bids/<int:bid_id>/events")
def events(bid_id: int):
    audience = _viewer(bid_id)
    viewer = _stream_viewer()
    _leave_the_session_cookie_alone()
    after_id = _last_event_id()
    members = MemberQuery.from_args(request.args)  # the page of the members table the page shows
    db.session.remove()  # nothing is held open while the stream waits
    app = current_app._get_current_object()
    body = stream.events(app, bid_id, audience, after_id=after_id, members=members, viewer=viewer)
    # stream_with_context keeps the request context for the fragments' url_for() calls. The stream reads only
    # plain values captured above (never current_user) and opens a fresh short session for every read.
    response = Response(stream_with_context(metrics.tracked_stream(body)), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache, no-transform"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: do not buffer this response
    return response


@bp.get("/bids/<int:bid_id>/live.json")
def poll(bid_id: int):
    """The snapshot and the events after ``after`` (for browsers that cannot hold a stream)."""
    audience = _viewer(bid_id)
    _leave_the_session_cookie_alone()
    after = request.args.get("after", type=int)
    app = current_app._get_current_object()
    rows = snapshots.events_after(bid_id, after) if after is not None and after >= 0 else []
    items = [item for item in (snapshots.visible_event(row, audience) for row in rows) if item is not None]
    newest = max((row.id for row in rows), default=0)
    # The snapshot is at least as new as the events returned with it (a cached copy may be a second old).
    text, last = stream.snapshot_text(app, bid_id, audience, MemberQuery.from_args(request.args), newest)
    last = max(last, newest)
    body = '{"snapshot":%s,"events":%s,"last_event_id":%d}' % (text, json.dumps(items), last)  # noqa: UP031
    return Response(body, mimetype="application/json", headers={"Cache-Control": "no-store"})


@bp.app_template_global()
def live_context(bid):
    """The live panel's context for the current user (used by the bid pages' live partials)."""
    return render.page_context(current_user, bid)


@bp.app_template_filter("ago")
def ago_filter(moment, now=None):
    return render.ago(moment, now)
