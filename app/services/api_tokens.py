"""Personal API tokens: create (the plaintext is shown once), list, revoke, and authenticate a bearer.

Raises ValidationFailed (a bad name) and NotFound (someone else's token).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm import Session

from app.database import write_intent
from app.extensions import db
from app.infra import clock, tokens
from app.models import ApiToken, AuditEvent, User
from app.services import audit
from app.services.errors import NotFound, ValidationFailed

PREFIX = "cbm_"
MAX_NAME = 100
MAX_TOKENS = 50
#: last_used_at is written at most this often, so a busy script does not write on every request
TOUCH_EVERY = timedelta(minutes=1)


def create_token(user: User, name: str | None, *, actor: User | None = None) -> tuple[str, ApiToken]:
    """A new token for ``user``: the plaintext (never stored, shown once) and its row."""
    name = (name or "").replace("\x00", "").strip() if isinstance(name, str | None) else None
    if name is None:
        raise ValidationFailed({"name": ["The token's name must be text."]})
    if not name:
        raise ValidationFailed({"name": ["Give the token a name, such as the system that will use it."]})
    if len(name) > MAX_NAME:
        raise ValidationFailed({"name": [f"The name must be {MAX_NAME} characters or fewer."]})
    live = db.session.scalar(
        sa.select(sa.func.count()).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    )
    if live >= MAX_TOKENS:
        raise ValidationFailed({"name": [f"You have {MAX_TOKENS} tokens already. Revoke one you no longer use."]})
    plaintext, digest = tokens.random_token(prefix=PREFIX)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=digest,
        prefix=plaintext[: len(PREFIX) + 4],
        created_at=clock.now(),
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        "api_token.created",
        actor=actor or user,
        organisation_id=user.organisation_id,
        subject=token,
        after={"name": name, "prefix": token.prefix, "user_id": user.id},
    )
    return plaintext, token


def tokens_for(user: User) -> list[ApiToken]:
    """The user's tokens that still work, newest first."""
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens; NotFound for anyone else's or one already revoked."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound("No such token.")
    token.revoked_at = clock.now()
    audit.record(
        "api_token.revoked",
        actor=user,
        subject=token,
        before={"name": token.name, "prefix": token.prefix},
        after={"revoked_at": token.revoked_at},
    )
    return token


def authenticate(bearer: str | None) -> tuple[User, int] | None:
    """The user a bearer string stands for and the token's id, or None when the token is unknown,
    revoked or its user disabled.

    The lookup and the two bookkeeping writes (``last_used_at``, and the audit of a disabled user's
    token) run in their own short transactions before the request's own one begins: they happen on GET
    requests too, whose transaction is read-only, they must survive the request's rollback when it
    fails, and on SQLite a second writer inside the request's write transaction would wait on itself.
    So call it before the request's session has begun a transaction.
    """
    if not isinstance(bearer, str) or not bearer.startswith(PREFIX) or len(bearer) > 200:
        return None
    with _side_session(write=False) as session:
        row = session.execute(
            sa.select(
                ApiToken.id, ApiToken.last_used_at, ApiToken.prefix, User.id, User.is_enabled, User.organisation_id
            )
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == tokens.digest(bearer), ApiToken.revoked_at.is_(None))
        ).first()
    if row is None:
        return None
    token_id, last_used_at, prefix, user_id, enabled, organisation_id = row
    now = clock.now()
    if not enabled:
        with _side_session(write=True) as session:
            _audit_disabled_use(session, token_id, prefix, user_id, organisation_id, now)
        return None
    if last_used_at is None or now - last_used_at >= TOUCH_EVERY:
        # The audit of token use shares last_used_at's rhythm: at most one row a minute per token.
        with _side_session(write=True) as session:
            session.execute(sa.update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
            session.add(
                AuditEvent(
                    action="api_token.used",
                    actor_id=user_id,
                    organisation_id=organisation_id,
                    subject_type="ApiToken",
                    subject_id=token_id,
                    after={"prefix": prefix},
                    created_at=now,
                )
            )
    user = db.session.get(User, user_id, options=[orm.joinedload(User.organisation)])  # as the pages load it
    if user is None or not user.is_enabled:
        return None
    return user, token_id


def _audit_disabled_use(
    session: Session, token_id: int, prefix: str, user_id: int, organisation_id: int, now: datetime
) -> None:
    """Record that a disabled user's token was presented, at most once a minute per token."""
    recent = session.scalar(
        sa.select(AuditEvent.id)
        .where(
            AuditEvent.action == "api_token.refused_disabled",
            AuditEvent.subject_type == "ApiToken",
            AuditEvent.subject_id == token_id,
            AuditEvent.created_at > now - TOUCH_EVERY,
        )
        .limit(1)
    )
    if recent is None:
        session.add(
            AuditEvent(
                action="api_token.refused_disabled",
                actor_id=None,
                organisation_id=organisation_id,
                subject_type="ApiToken",
                subject_id=token_id,
                after={"user_id": user_id, "prefix": prefix},
                created_at=now,
            )
        )


@contextmanager
def _side_session(*, write: bool) -> Iterator[Session]:
    """A short transaction of its own, committed on leaving (read-only ones simply end)."""
    previous = write_intent.set(write)
    try:
        with Session(db.engine) as session, session.begin():
            yield session
    finally:
        write_intent.reset(previous)
