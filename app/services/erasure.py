"""Personal data (UK GDPR): a person's download of what is held about them, and the erasure of a person who has
left, who becomes "Former user N" everywhere while their organisation's pledges, letters and audit trail remain.

Raises PermissionDenied (not a manager of the person's organisation), Conflict (the last manager) and NotFound.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.infra import clock
from app.models import (
    AccountLink,
    ApiToken,
    AuditEvent,
    EmailMessage,
    Invitation,
    JoinRequest,
    OrganisationKind,
    User,
    UserSession,
)
from app.services import audit, audit_kinds, team
from app.services.errors import Conflict, NotFound, PermissionDenied

#: a link inside an email, as the download shows it
LINK = re.compile(r"https?://\S+")
BLANKED = "[link removed]"


def pseudonym(user: User) -> tuple[str, str]:
    """The name and address an erased person is shown under (the address is in the reserved .invalid domain)."""
    return f"Former user {user.id}", f"former-user-{user.id}@erased.invalid"


def _scrub(value: Any, replacements: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v, replacements) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, replacements) for v in value]
    if isinstance(value, str):
        for old, new in replacements.items():
            if old:
                value = re.sub(re.escape(old), new, value, flags=re.IGNORECASE)
        return value
    return value


def erase_person(actor: User | None, user: User) -> User:
    """Replace the person's name and address with a pseudonym everywhere they are stored; remove their password,
    tokens, sessions and open links; delete the emails held for them. ``actor`` None is the operator.

    Refused for the only manager of a convening body, or of an organisation that still has other people.
    """
    if user.erased_at is not None:
        raise NotFound("That person has already been erased.")
    if actor is not None and not (
        actor.is_enabled and actor.is_manager and actor.organisation_id == user.organisation_id
    ):
        raise PermissionDenied("Only a manager of the person's organisation can erase them.")
    if user.is_manager and user.is_enabled and team._other_managers(user) == 0:
        others = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(User)
            .where(User.organisation_id == user.organisation_id, User.id != user.id, User.is_enabled.is_(True))
        )
        if user.organisation.kind == OrganisationKind.CONVENOR or others:
            raise Conflict("The last manager cannot be erased: make someone else a manager first.")
    name, email = pseudonym(user)
    old_name, old_email = user.name, user.email
    replacements = {old_email: email, old_name: name}
    user.name, user.email = name, email
    user.password_hash = generate_password_hash(secrets.token_urlsafe(32))
    user.is_enabled = False
    user.is_manager = False
    user.erased_at = clock.now()
    team.stop_access(user)
    db.session.execute(sa.delete(ApiToken).where(ApiToken.user_id == user.id))
    db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id))
    for link in db.session.scalars(
        sa.select(AccountLink).where(sa.or_(AccountLink.user_id == user.id, AccountLink.email == old_email))
    ):
        link.email = email if link.email else None
        link.token_hash = None
        link.revoked_at = link.revoked_at or clock.now()
    db.session.execute(sa.delete(EmailMessage).where(sa.func.lower(EmailMessage.to_address) == old_email))
    for invitation in db.session.scalars(sa.select(Invitation).where(sa.func.lower(Invitation.email) == old_email)):
        invitation.email = email
    for request in db.session.scalars(
        sa.select(JoinRequest).where(sa.or_(JoinRequest.user_id == user.id, JoinRequest.email == old_email))
    ):
        request.email, request.name, request.password_hash = email, name, None
    _scrub_audit(user, replacements)
    db.session.flush()
    audit.record(
        "user.erased",
        actor=actor,
        organisation_id=user.organisation_id,
        subject=user,
        after={"pseudonym": name},
    )
    return user


def _scrub_audit(user: User, replacements: dict[str, str]) -> None:
    """Rewrite the name and address inside audit entries' before/after values (who did what stays)."""
    events = db.session.scalars(
        sa.select(AuditEvent).where(
            sa.or_(
                AuditEvent.actor_id == user.id,
                sa.and_(AuditEvent.subject_type == "User", AuditEvent.subject_id == user.id),
                AuditEvent.organisation_id == user.organisation_id,
                sa.cast(AuditEvent.after, sa.Text).contains(next(iter(replacements))),
                sa.cast(AuditEvent.before, sa.Text).contains(next(iter(replacements))),
            )
        )
    )
    for event in events:
        before, after = _scrub(event.before, replacements), _scrub(event.after, replacements)
        if before != event.before:
            event.before = before
        if after != event.after:
            event.after = after


def erase_by_email(email: str) -> User:
    """The operator's erasure (``flask users erase EMAIL``)."""
    key = (email or "").strip().lower()
    user = db.session.scalar(sa.select(User).where(User.email == key))
    if user is None:
        raise NotFound(f"No account has the address {key}.")
    return erase_person(None, user)


def personal_data(user: User) -> dict[str, Any]:
    """Everything held about the person, as plain values for a JSON download: the profile, memberships, their
    actions in the audit log, and the emails held for them with every link blanked."""
    org = user.organisation
    actions = db.session.scalars(
        sa.select(AuditEvent)
        .where(
            sa.or_(
                AuditEvent.actor_id == user.id,
                sa.and_(AuditEvent.subject_type == "User", AuditEvent.subject_id == user.id),
            )
        )
        .order_by(AuditEvent.id)
    )
    emails = db.session.scalars(
        sa.select(EmailMessage).where(sa.func.lower(EmailMessage.to_address) == user.email).order_by(EmailMessage.id)
    )
    return {
        "generated_at": clock.now().isoformat(),
        "profile": {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "role": str(user.role),
            "created_at": user.created_at.isoformat(),
            "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
            "digest_opt_out": user.digest_opt_out,
        },
        "memberships": [
            {
                "organisation_id": org.id,
                "organisation": org.name,
                "kind": str(org.kind),
                "manager": user.is_manager,
            }
        ],
        "sessions": [
            {"created_at": s.created_at.isoformat(), "user_agent": s.user_agent, "ip_address": s.ip_address}
            for s in db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id))
        ],
        "api_tokens": [
            {"name": t.name, "prefix": t.prefix, "created_at": t.created_at.isoformat()}
            for t in db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id))
        ],
        "audit_log": [
            {
                "when": e.created_at.isoformat(),
                "action": e.action,
                "by_you": e.actor_id == user.id,
                "subject": f"{e.subject_type} {e.subject_id}" if e.subject_type else None,
                "before": e.before,
                "after": e.after,
                "ip_address": e.ip_address,
            }
            for e in actions
        ],
        "emails": [
            {
                "when": m.created_at.isoformat(),
                "to": m.to_address,
                "subject": m.subject,
                "status": str(m.status),
                "text": LINK.sub(BLANKED, m.body_text),
            }
            for m in emails
        ],
    }


audit_kinds.declare(
    "user.erased",
    lambda e: f"{e.actor} erased a person who has left; they are shown as {e.after.get('pseudonym', 'a former user')}.",
    title="Person erased",
)
