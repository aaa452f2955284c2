"""The record of a person's signed-in browsers: each login makes one; a person sees theirs and ends them.

A browser's session cookie holds a random key and only its SHA-256 is stored. An ended session is logged out on
its next request. Sessions made before this record existed have no key: "sign out everywhere" ends those too,
through the per-user session version.

Raises NotFound (a session that is not the person's own).
"""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.infra import clock, tokens
from app.models import User, UserSession
from app.services import audit, audit_kinds
from app.services.errors import NotFound


def start_session(user: User, *, user_agent: str | None = None, ip_address: str | None = None) -> str:
    """Record a new signed-in browser for the user; returns the key its cookie keeps."""
    key, digest = tokens.random_token()
    db.session.add(
        UserSession(
            user_id=user.id,
            key_hash=digest,
            user_agent=" ".join((user_agent or "").split())[:200] or None,
            ip_address=(ip_address or "")[:45] or None,
        )
    )
    return key


def is_live_key(user_id):
    """Whether the bound ``key_hash`` (``tokens.digest`` of a browser's cookie key) is one of the user's sessions
    that has not been ended, as a SQL EXISTS (``user_id``: a value or a column), so that the signed-in user and
    their browser's session are read in one query (``users.load_session_user``)."""
    return (
        sa.select(UserSession.id)
        .where(
            UserSession.key_hash == sa.bindparam("key_hash"),
            UserSession.user_id == user_id,
            UserSession.ended_at.is_(None),
        )
        .exists()
    )


def sessions_for(user: User) -> list[UserSession]:
    """The user's sessions that have not been ended, newest first."""
    return list(
        db.session.scalars(
            sa.select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
            .order_by(UserSession.created_at.desc(), UserSession.id.desc())
        )
    )


def current_session_id(user: User, key: str | None) -> int | None:
    if key is None:
        return None
    return db.session.scalar(
        sa.select(UserSession.id).where(UserSession.key_hash == tokens.digest(key), UserSession.user_id == user.id)
    )


def end_session(user: User, session_id: int) -> UserSession:
    """End one of the user's own sessions (another browser is logged out on its next request)."""
    row = db.session.get(UserSession, session_id)
    if row is None or row.user_id != user.id or row.ended_at is not None:
        raise NotFound("That session has already ended.")
    row.ended_at = clock.now()
    audit.record("auth.session_ended", actor=user, subject=user, after={"session": session_id})
    return row


def end_all(user: User) -> int:
    """Mark every recorded session of the user ended; the number ended. (Callers bump the session version.)"""
    result = db.session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def end_other_sessions(user: User) -> int:
    """Sign out everywhere: every session of the user ends, this browser's too (the caller signs it in afresh)."""
    user.session_version += 1
    ended = end_all(user)
    audit.record("auth.signed_out_everywhere", actor=user, subject=user, after={"sessions": ended})
    return ended


audit_kinds.declare(
    "auth.session_ended", lambda e: f"{e.actor} ended one of their other sessions.", title="Session ended"
)
audit_kinds.declare(
    "auth.signed_out_everywhere",
    lambda e: f"{e.actor} signed out everywhere ({e.after.get('sessions', 0):,} sessions ended).",
    title="Signed out everywhere",
)
