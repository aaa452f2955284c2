"""Password reset by email: a single-use link, valid ``PASSWORD_RESET_MINUTES``, the newest one only.

Asking for a link answers the same way, after the same work, whether or not the address has an account, and a
disabled account gets no link. Setting the new password ends every session of the person (including any other
browser) and emails them a notice.

Raises ValidationFailed (the new password), TokenInvalid (the link) and NotFound (the operator's command).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from app import notifications
from app.extensions import db
from app.infra import clock, tokens
from app.infra.links import path_for
from app.models import AccountLink, LinkPurpose, User
from app.services import account_links, audit, audit_kinds, sessions
from app.services.errors import NotFound, TokenInvalid, require
from app.services.users import normalise_email, password_problems

PURPOSE = LinkPurpose.PASSWORD_RESET
SUBJECT = "Reset your password"


def _minutes() -> int:
    return int(current_app.config.get("PASSWORD_RESET_MINUTES", 60))


def _lookup(email: str) -> tuple[str, User | None]:
    try:
        key = normalise_email(email)
    except ValueError:
        key = (email or "").strip().lower()[:254]
    user = db.session.scalar(sa.select(User).where(User.email == key))
    return key, user


def request_reset(email: str, *, ip_address: str | None = None) -> None:
    """Email a reset link to the account with this address, if there is one and it is enabled.

    Returns nothing, whatever happened: the caller shows one answer. An unknown or disabled address costs the
    same work (a token signed, the email rendered, an audit event written), only the email is not queued.
    """
    key, user = _lookup(email)
    sendable = user is not None and user.is_enabled and user.erased_at is None
    if sendable:
        token, _link = account_links.issue(PURPOSE, user=user, minutes=_minutes())
    else:
        token, _digest = tokens.make(PURPOSE.value, 0)
    message = notifications.render(
        key or "nobody@example.invalid",
        "password_reset",
        SUBJECT,
        name=user.name if sendable else "",
        link=path_for("auth.reset_password", token=token),
        minutes=_minutes(),
    )
    if sendable:
        notifications.queue_all([message])
    audit.record(
        "auth.password_reset_requested",
        actor=None,
        organisation_id=user.organisation_id if user is not None else None,
        subject=user,
        after={"email": key, "sent": sendable},
        ip_address=ip_address,
    )


def reset_link(email: str) -> str:
    """A reset link's path for the operator to read out (``flask users reset-link EMAIL``); no email is sent.

    Earlier links stop working. Raises NotFound for an unknown, disabled or erased account.
    """
    key, user = _lookup(email)
    if user is None or not user.is_enabled or user.erased_at is not None:
        raise NotFound(f"No enabled account has the address {key}.")
    token, _link = account_links.issue(PURPOSE, user=user, minutes=_minutes())
    audit.record(
        "auth.password_reset_requested",
        actor=None,
        organisation_id=user.organisation_id,
        subject=user,
        after={"email": key, "sent": False, "by": "operator"},
    )
    return path_for("auth.reset_password", token=token)


def read_link(token: str, *, lock: bool = False) -> AccountLink:
    """The reset link a token opens, or TokenInvalid saying why not (including a since disabled account)."""
    link = account_links.read(PURPOSE, token, lock=lock)
    if link.user is None or not link.user.is_enabled or link.user.erased_at is not None:
        raise TokenInvalid("disabled", "This account cannot be used. Ask your organisation's manager.")
    return link


def check_new_password(link: AccountLink, password: str) -> None:
    """Refuse a new password that breaks the rules (before the slow hash is made)."""
    require({"password": password_problems(password, link.user.email)})


def reset_password(token: str, password: str, *, password_hash: str | None = None, ip_address=None) -> User:
    """Set the new password through the link, once. Every session of the person ends (the caller logs this
    browser in afresh); they are emailed a notice. ``password_hash`` is ``User.hash_password(password)`` made
    beforehand, outside the write transaction."""
    link = read_link(token, lock=True)
    check_new_password(link, password)
    user = link.user
    if password_hash is not None:
        user.password_hash = password_hash
    else:
        user.set_password(password)
    account_links.mark_used(link)
    user.session_version += 1
    user.last_login_at = clock.now()  # the reset logs them in
    sessions.end_all(user)
    notifications.queue(
        user.email, "password_changed", "Your password was changed", name=user.name, link=path_for("auth.login")
    )
    audit.record("user.password_reset", actor=user, subject=user, ip_address=ip_address)
    return user


audit_kinds.declare(
    "auth.password_reset_requested",
    lambda e: (
        "An operator made a password reset link."
        if e.after.get("by") == "operator"
        else "Someone asked for a password reset link"
        + ("; it was sent." if e.after.get("sent") else "; none was sent.")
    ),
    title="Password reset asked for",
)
audit_kinds.declare(
    "user.password_reset", lambda e: f"{e.actor} set a new password with a reset link.", title="Password reset"
)
