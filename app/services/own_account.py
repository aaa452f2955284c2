"""A person's own account: their name, and a change of email address confirmed through the new address.

Nothing changes until the confirmation link is used; the old address is told when the change is asked for.
An address cannot be taken from another account (addresses are compared lower-cased).

Raises ValidationFailed (a name or address), TokenInvalid (the confirmation link) and Conflict.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from app import notifications
from app.extensions import db
from app.infra.links import path_for
from app.models import AccountLink, LinkPurpose, User
from app.services import account_links, audit, audit_kinds
from app.services.errors import Conflict, TokenInvalid, ValidationFailed
from app.services.users import lookalike_user_email, normalise_email, person_name

PURPOSE = LinkPurpose.EMAIL_CHANGE
TAKEN = "Another account already uses that email address."


def change_name(user: User, name: str) -> User:
    """Set the person's own name (the one set of name rules)."""
    try:
        clean = person_name(name)
    except ValueError as exc:
        raise ValidationFailed({"name": [str(exc)]}) from None
    if clean == user.name:
        return user
    before = user.name
    user.name = clean
    audit.record("user.name_changed", actor=user, subject=user, before={"name": before}, after={"name": clean})
    return user


def check_new_email(user: User, value: str) -> str:
    """The new address, normalised, or ValidationFailed: not valid, the same as now, or another account's."""
    try:
        email = normalise_email(value)
    except ValueError as exc:
        raise ValidationFailed({"email": [str(exc)]}) from None
    if email == user.email:
        raise ValidationFailed({"email": ["That is already your email address."]})
    if db.session.scalar(sa.select(User.id).where(sa.func.lower(User.email) == email)):
        raise ValidationFailed({"email": [TAKEN]})
    lookalike = lookalike_user_email(email)
    if lookalike is not None and lookalike != user.email:
        raise ValidationFailed(
            {"email": ["That address looks like another account's address (a look-alike letter); type it again."]}
        )
    return email


def request_email_change(user: User, value: str) -> AccountLink:
    """Email a confirmation link to the new address and tell the old one. An earlier request stops working."""
    email = check_new_email(user, value)
    hours = int(current_app.config.get("EMAIL_CHANGE_HOURS", 24))
    token, link = account_links.issue(PURPOSE, user=user, email=email, minutes=hours * 60)
    notifications.queue(
        email,
        "email_change_confirm",
        "Confirm your new email address",
        name=user.name,
        old_email=user.email,
        new_email=email,
        hours=hours,
        link=path_for("auth.confirm_email", token=token),
    )
    notifications.queue(
        user.email,
        "email_change_notice",
        "Your email address is being changed",
        name=user.name,
        old_email=user.email,
        new_email=email,
        link=path_for("auth.forgot_password"),
    )
    audit.record("user.email_change_requested", actor=user, subject=user, after={"email": email})
    return link


def pending_email_change(user: User) -> AccountLink | None:
    """The person's email change waiting for confirmation, if any."""
    links = account_links.links_still_open(PURPOSE, user=user)
    return links[-1] if links else None


def read_email_link(token: str, *, lock: bool = False) -> AccountLink:
    link = account_links.read(PURPOSE, token, lock=lock)
    if link.user is None or not link.user.is_enabled or link.user.erased_at is not None:
        raise TokenInvalid("disabled", "This account cannot be used. Ask your organisation's manager.")
    return link


def confirm_email_change(token: str) -> User:
    """Use the confirmation link: the account's address becomes the new one (if no one has taken it since)."""
    link = read_email_link(token, lock=True)
    user = link.user
    if db.session.scalar(sa.select(User.id).where(sa.func.lower(User.email) == link.email, User.id != user.id)):
        raise Conflict(TAKEN + " Nothing was changed.")
    before = user.email
    user.email = link.email
    account_links.mark_used(link)
    audit.record("user.email_changed", actor=user, subject=user, before={"email": before}, after={"email": user.email})
    return user


audit_kinds.declare("user.name_changed", lambda e: f"{e.actor} changed their name.", title="Name changed")
audit_kinds.declare(
    "user.email_change_requested",
    lambda e: f"{e.actor} asked to change their email address.",
    title="Email change asked for",
)
audit_kinds.declare("user.email_changed", lambda e: f"{e.actor} confirmed a new email address.", title="Email changed")
