"""Users, organisations and logging in; who counts as a known contact of an organisation.

Raises ValidationFailed, Conflict and PermissionDenied.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import orm
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.infra import clock, tokens
from app.models import Invitation, InvitationStatus, Organisation, OrganisationKind, Role, User
from app.services import audit, profiles, sessions
from app.services.common_passwords import COMMON_PASSWORDS
from app.services.errors import Conflict, ValidationFailed, require
from app.text import check_name, skeleton

MIN_PASSWORD = 10


def normalise_email(value: Any) -> str:
    """A syntactically valid address, lower-cased. Raises ValueError with a message."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("Enter an email address.")
    try:
        info = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"Enter a valid email address, like name@example.org ({exc}).") from None
    return info.normalized.lower()


def password_problems(password: Any, email: str | None = None) -> list[str]:
    if not isinstance(password, str) or not password:
        return ["Enter a password."]
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(f"Use at least {MIN_PASSWORD} characters.")
    elif len(password) > 200:
        problems.append("Use at most 200 characters.")
    elif password.casefold() in COMMON_PASSWORDS or len(set(password)) < 4:
        problems.append("That password is too common. Choose one that is harder to guess.")
    elif email and password.casefold() == email.casefold():
        problems.append("Do not use your email address as your password.")
    return problems


def organisation_values(values: dict[str, Any], errors: dict[str, list[str]], *, prefix: str = "") -> dict:
    """Check a new organisation's profile (``profiles.profile_values``, every field); collect messages into
    ``errors`` under ``prefix + field``."""
    full = {field: values.get(field) for field in profiles.PROFILE_FIELDS}
    return profiles.profile_values(full, errors, prefix=prefix)


def person_name(value: Any) -> str:
    """A person's name under the one set of name rules. Raises ValueError with the message."""
    name = check_name(value if value is not None else "", "name")
    if not name:
        raise ValueError("Enter your name.")
    if len(name) > 200:
        raise ValueError("The name must be 200 characters or fewer.")
    return name


def lookalike_organisation(name: str, *, kinds: tuple[OrganisationKind, ...] | None = None) -> Organisation | None:
    """An existing organisation whose name is the same as ``name`` or looks like it (case, spaces, confusable
    letters), or None."""
    wanted = skeleton(name)
    stmt = sa.select(Organisation)
    if kinds:
        stmt = stmt.where(Organisation.kind.in_(kinds))
    key = Organisation.key_for(name)
    exact = db.session.scalar(stmt.where(Organisation.name_key == key))
    if exact is not None:
        return exact
    for org in db.session.scalars(stmt.order_by(Organisation.id)):
        if skeleton(org.name) == wanted:
            return org
    return None


def lookalike_user_email(email: str) -> str | None:
    """An existing account's address that looks like ``email`` but is not it (a confusable letter), or None."""
    wanted = skeleton(email)
    for existing in db.session.scalars(sa.select(User.email)):
        if existing != email and skeleton(existing) == wanted:
            return existing
    return None


def is_known_contact(organisation_id: int, email: str) -> bool:
    """Whether ``email`` is already known to belong to the organisation: the address of one of its users or of
    an invitation accepted into it. The one place this is decided (a contacts directory will add to it)."""
    if db.session.scalar(
        sa.select(User.id).where(User.organisation_id == organisation_id, User.email == email).limit(1)
    ):
        return True
    return (
        db.session.scalar(
            sa.select(Invitation.id)
            .where(
                Invitation.organisation_id == organisation_id,
                Invitation.status == InvitationStatus.ACCEPTED,
                Invitation.email == email,
            )
            .limit(1)
        )
        is not None
    )


def managers_of(organisation_id: int) -> list[User]:
    """The organisation's enabled managers, who approve or refuse requests to join it."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.organisation_id == organisation_id, User.is_manager.is_(True), User.is_enabled.is_(True))
            .order_by(User.id)
        )
    )


def has_people(organisation_id: int) -> bool:
    return db.session.scalar(sa.select(User.id).where(User.organisation_id == organisation_id).limit(1)) is not None


def create_organisation(clean: dict[str, Any], kind: OrganisationKind) -> Organisation:
    profiles.check_unique(clean)
    key = Organisation.key_for(clean["name"])
    org = Organisation(kind=kind, name_key=key, **clean)
    db.session.add(org)
    db.session.flush()
    audit.record("organisation.created", organisation_id=org.id, subject=org, after={"name": org.name, "kind": kind})
    return org


def create_user(
    *,
    email: str,
    name: str,
    password: str,
    role: Role,
    organisation: Organisation,
    actor: User | None = None,
    password_hash: str | None = None,
) -> User:
    """A new account. ``password_hash``, if given, is ``User.hash_password(password)`` made beforehand."""
    errors: dict[str, list[str]] = {}
    try:
        email = normalise_email(email)
    except ValueError as exc:
        errors["email"] = [str(exc)]
    try:
        name = person_name(name)
    except ValueError as exc:
        errors["name"] = [str(exc)]
    errors["password"] = password_problems(password, email)
    require(errors)
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise Conflict("An account with that email address already exists. Log in instead.")
    if lookalike_user_email(email):
        raise ValidationFailed(
            {"email": ["That address looks like another account's address (a look-alike letter); type it again."]}
        )
    # The first person of an organisation manages it: they approve who else may join.
    user = User(
        email=email, name=name, role=role, organisation_id=organisation.id, is_manager=not has_people(organisation.id)
    )
    if password_hash is not None:
        user.password_hash = password_hash
    else:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.created",
        actor=actor,
        organisation_id=organisation.id,
        subject=user,
        after={"email": email, "role": str(role), "manager": user.is_manager},
    )
    return user


@cache
def _dummy_hash() -> str:
    """A hash of a random password, made once, with the same method and work factor as real ones."""
    return generate_password_hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class LoginCheck:
    """What ``check_login`` found: plain values, so that the write that records it can be a new transaction."""

    email: str
    user_id: int | None
    organisation_id: int | None
    accepted: bool


def check_login(email: str, password: str) -> LoginCheck:
    """Whether these credentials let someone in. Only reads: the caller may run it outside the write lock.

    An unknown email is checked against a dummy hash, and a disabled account's password is checked too,
    so every attempt costs one password hash and the time taken does not say whether the account exists.
    """
    try:
        key = normalise_email(email)
    except ValueError:
        key = (email or "")[:254]
    found = db.session.execute(
        sa.select(User.id, User.organisation_id, User.password_hash, User.is_enabled).where(User.email == key)
    ).first()
    if found is None:
        check_password_hash(_dummy_hash(), password or "")
        return LoginCheck(key, None, None, False)
    matches = check_password_hash(found.password_hash, password or "")
    return LoginCheck(key, found.id, found.organisation_id, bool(matches and found.is_enabled))


def record_login(check: LoginCheck, *, ip_address: str | None = None) -> User | None:
    """Record a checked attempt in the audit log; the user when it let them in, else None."""
    user = db.session.get(User, check.user_id) if check.user_id is not None else None
    if user is None or not check.accepted or not user.is_enabled:
        audit.record(
            "auth.login_failed",
            actor=None,
            organisation_id=check.organisation_id,
            subject=user,
            after={"email": check.email},
            ip_address=ip_address,
        )
        return None
    user.last_login_at = clock.now()
    audit.record("auth.login", actor=user, subject=user, ip_address=ip_address)
    return user


def authenticate(email: str, password: str, *, ip_address: str | None = None) -> User | None:
    """``check_login`` and ``record_login`` in one transaction (the CLI and tests; the login page splits them)."""
    return record_login(check_login(email, password), ip_address=ip_address)


def logout(user: User) -> None:
    """End every copy of the user's session."""
    user.session_version += 1
    sessions.end_all(user)
    audit.record("auth.logout", actor=user, subject=user)


def change_password(user: User, current: str, new: str) -> None:
    errors: dict[str, list[str]] = {}
    if not user.check_password(current or ""):
        errors["current_password"] = ["Your current password is not right."]
    errors["new_password"] = password_problems(new, user.email)
    require(errors)
    user.set_password(new)
    user.session_version += 1
    sessions.end_all(user)
    audit.record("user.password_changed", actor=user, subject=user)


def set_enabled(actor: User | None, user: User, enabled: bool) -> None:
    user.is_enabled = enabled
    if not enabled:
        user.session_version += 1
        sessions.end_all(user)
    audit.record(
        "user.enabled" if enabled else "user.disabled", actor=actor, subject=user, organisation_id=user.organisation_id
    )


def load_session_user(session_id: str, *, browser_key: str | None = None, check_browser: bool = False) -> User | None:
    """Flask-Login's loader: ``"<id>.<session_version>"`` → the user, if still current and enabled.

    With ``check_browser`` (the pages, not the API), the browser's recorded session must not have been ended:
    ``browser_key`` is its cookie's key, checked in the same query. A browser without a key (signed in before
    sessions were recorded) counts as live: the session version still governs it.
    """
    try:
        user_id, version = (int(part) for part in session_id.split("."))
    except (ValueError, AttributeError):
        return None
    browser = check_browser and browser_key is not None
    params = {"user_id": user_id, **({"key_hash": tokens.digest(browser_key)} if browser else {})}
    found = db.session.execute(_session_user_query(browser), params).first()
    if found is None:
        return None
    user, browser_live = found
    if user.session_version != version or not user.is_enabled or not browser_live:
        return None
    return user


@cache
def _session_user_query(browser: bool) -> sa.Select:
    """The signed-in user with their organisation in the same query (pages and services name it, and a lazy load
    later would also flush whatever the request had added by then), and with ``browser`` whether the browser's
    session is live. Built once, with the user and the key as parameters, so SQLAlchemy keeps its cache key."""
    live = sessions.is_live_key(User.id) if browser else sa.true()
    return sa.select(User, live).options(orm.joinedload(User.organisation)).where(User.id == sa.bindparam("user_id"))
