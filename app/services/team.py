"""An organisation's team (a convening body's convenors, or a member organisation's people), run by its managers.

Managers invite colleagues by a single-use, expiring link (the colleague chooses their name and password), make
or unmake managers, and remove colleagues: a removed person's sessions and API tokens stop at once, and their
past actions stay in the audit log under their name. The last manager cannot lose the role or be removed.

Raises NotFound (someone outside the actor's organisation), PermissionDenied (not a manager), Conflict (the
last-manager guard, an address that already has an account), ValidationFailed and TokenInvalid.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from app import notifications
from app.extensions import db
from app.infra import clock
from app.infra.links import path_for
from app.models import AccountLink, ApiToken, LinkPurpose, Organisation, OrganisationKind, Role, User
from app.services import account_links, audit, audit_kinds, sessions, users
from app.services.errors import Conflict, NotFound, PermissionDenied, TokenInvalid, ValidationFailed

PURPOSE = LinkPurpose.COLLEAGUE
LAST_MANAGER = "The last manager cannot do that: make someone else a manager first."


def require_manager(actor: User) -> Organisation:
    """The actor's organisation, when they manage it; PermissionDenied otherwise."""
    if not (actor.is_enabled and actor.is_manager):
        raise PermissionDenied("Only a manager of your organisation can manage its team.")
    return actor.organisation


def members_of(organisation: Organisation) -> list[User]:
    """The organisation's current people (enabled, not erased), managers first, then by name."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.organisation_id == organisation.id, User.is_enabled.is_(True), User.erased_at.is_(None))
            .order_by(User.is_manager.desc(), User.name, User.id)
        )
    )


def team_for(actor: User) -> list[User]:
    """The actor's team, for a manager."""
    return members_of(require_manager(actor))


def pending_invitations(actor: User) -> list[AccountLink]:
    """Colleagues invited and not yet joined (links not used or withdrawn; expired ones too, marked by the page)."""
    organisation = require_manager(actor)
    return list(
        db.session.scalars(
            sa.select(AccountLink)
            .where(
                AccountLink.purpose == PURPOSE,
                AccountLink.organisation_id == organisation.id,
                AccountLink.used_at.is_(None),
                AccountLink.revoked_at.is_(None),
            )
            .order_by(AccountLink.created_at.desc(), AccountLink.id.desc())
        )
    )


def former_members(actor: User) -> list[User]:
    """People removed from the actor's organisation and not yet erased, for a manager (who may erase them)."""
    organisation = require_manager(actor)
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.organisation_id == organisation.id, User.is_enabled.is_(False), User.erased_at.is_(None))
            .order_by(User.name, User.id)
        )
    )


def colleague(actor: User, user_id: int, *, removed_too: bool = False) -> User:
    """A current person of the actor's organisation (or, with ``removed_too``, one removed and not yet erased);
    NotFound for anyone else (another organisation's too)."""
    organisation = require_manager(actor)
    user = db.session.get(User, user_id)
    if user is None or user.organisation_id != organisation.id or user.erased_at is not None:
        raise NotFound("No such colleague.")
    if not user.is_enabled and not removed_too:
        raise NotFound("No such colleague.")
    return user


def _other_managers(user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(User)
            .where(
                User.organisation_id == user.organisation_id,
                User.is_manager.is_(True),
                User.is_enabled.is_(True),
                User.erased_at.is_(None),
                User.id != user.id,
            )
        )
        or 0
    )


def guard_last_manager(user: User) -> None:
    """Conflict when ``user`` is their organisation's only manager."""
    if user.is_manager and _other_managers(user) == 0:
        raise Conflict(LAST_MANAGER)


def invite_colleague(actor: User, email: str, *, as_manager: bool = False) -> tuple[str, AccountLink]:
    """Email a colleague a link to join the actor's organisation; returns its path and row. A second invitation
    to the same address replaces the first."""
    organisation = require_manager(actor)
    try:
        address = users.normalise_email(email)
    except ValueError as exc:
        raise ValidationFailed({"email": [str(exc)]}) from None
    existing = db.session.scalar(sa.select(User).where(User.email == address))
    if existing is not None:
        where = "your organisation" if existing.organisation_id == organisation.id else "another organisation"
        raise ValidationFailed({"email": [f"That address already has an account (in {where})."]})
    days = int(current_app.config.get("COLLEAGUE_INVITATION_DAYS", 7))
    token, link = account_links.issue(
        PURPOSE,
        organisation=organisation,
        email=address,
        created_by=actor,
        as_manager=bool(as_manager),
        minutes=days * 24 * 60,
    )
    path = path_for("team.join", token=token)
    notifications.queue(
        address,
        "colleague_invitation",
        f"{actor.name} invites you to join {organisation.name}",
        inviter=actor.name,
        organisation=organisation.name,
        days=days,
        link=path,
    )
    audit.record(
        "team.colleague_invited",
        actor=actor,
        organisation_id=organisation.id,
        subject=link,
        after={"email": address, "manager": bool(as_manager)},
    )
    return path, link


def withdraw_invitation(actor: User, link_id: int) -> AccountLink:
    organisation = require_manager(actor)
    link = db.session.get(AccountLink, link_id)
    if link is None or link.purpose != PURPOSE or link.organisation_id != organisation.id or not link.is_open:
        raise NotFound("No such invitation.")
    link.revoked_at = clock.now()
    audit.record("team.invitation_withdrawn", actor=actor, subject=link, after={"email": link.email})
    return link


def read_invitation(token: str, *, lock: bool = False) -> AccountLink:
    """The colleague's invitation a link opens, or TokenInvalid saying why not."""
    link = account_links.read(PURPOSE, token, lock=lock)
    if link.created_by is not None and not link.created_by.is_enabled:
        raise TokenInvalid("revoked", "The person who invited you has since left. Ask another manager to invite you.")
    return link


def join(token: str, *, name: str, password: str, password_hash: str | None = None) -> User:
    """Accept a colleague's invitation: a new account in the organisation, once."""
    link = read_invitation(token, lock=True)
    organisation = link.organisation
    role = Role.CONVENOR if organisation.kind == OrganisationKind.CONVENOR else Role.MEMBER
    user = users.create_user(
        email=link.email,
        name=name,
        password=password,
        role=role,
        organisation=organisation,
        actor=link.created_by,
        password_hash=password_hash,
    )
    user.is_manager = link.as_manager
    user.last_login_at = clock.now()  # joining logs them in
    account_links.mark_used(link)
    link.user_id = user.id
    audit.record(
        "team.colleague_joined",
        actor=user,
        organisation_id=organisation.id,
        subject=user,
        after={"invited_by": link.created_by_id, "manager": user.is_manager},
    )
    return user


def set_manager(actor: User, user_id: int, manager: bool) -> User:
    """Make a colleague a manager, or not; the last manager keeps the role."""
    user = colleague(actor, user_id)
    if user.is_manager == manager:
        return user
    if not manager:
        guard_last_manager(user)
    user.is_manager = manager
    audit.record(
        "team.manager_made" if manager else "team.manager_unmade",
        actor=actor,
        organisation_id=user.organisation_id,
        subject=user,
        after={"manager": manager},
    )
    return user


def stop_access(user: User) -> None:
    """Every session and API token of the person stops working now (removal and erasure)."""
    user.session_version += 1
    sessions.end_all(user)
    db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
        .execution_options(synchronize_session=False)
    )


def remove_colleague(actor: User, user_id: int) -> User:
    """Remove a colleague from the organisation: their account is disabled at once, sessions and tokens too.
    What they did stays (their pledges, letters and audit entries keep their name)."""
    user = colleague(actor, user_id)
    guard_last_manager(user)
    user.is_enabled = False
    user.is_manager = False
    stop_access(user)
    audit.record("team.colleague_removed", actor=actor, organisation_id=user.organisation_id, subject=user)
    return user


audit_kinds.declare(
    "team.colleague_invited", lambda e: f"{e.actor} invited a colleague to join.", title="Colleague invited"
)
audit_kinds.declare(
    "team.invitation_withdrawn",
    lambda e: f"{e.actor} withdrew a colleague's invitation.",
    title="Colleague's invitation withdrawn",
)
audit_kinds.declare("team.colleague_joined", lambda e: f"{e.actor} joined as a colleague.", title="Colleague joined")
audit_kinds.declare("team.manager_made", lambda e: f"{e.actor} made a colleague a manager.", title="Manager made")
audit_kinds.declare(
    "team.manager_unmade", lambda e: f"{e.actor} made a colleague no longer a manager.", title="Manager role removed"
)
audit_kinds.declare("team.colleague_removed", lambda e: f"{e.actor} removed a colleague.", title="Colleague removed")
