"""Invitations: invite one or many, resend, revoke, and the invitee's accept or decline.

Raises ValidationFailed, Conflict, TokenInvalid, InvalidTransition and PermissionDenied.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app import notifications
from app.extensions import db
from app.infra import clock, tokens
from app.infra.links import path_for
from app.models import (
    AuditEvent,
    Bid,
    Invitation,
    InvitationStatus,
    JoinRequest,
    Organisation,
    OrganisationKind,
    Pledge,
    Role,
    User,
)
from app.models.pledge import LIVE_STATUSES
from app.services import audit, directory_members, join_requests, users
from app.services.acceptance import accept_as
from app.services.access import is_bid_convenor
from app.services.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    TokenInvalid,
    ValidationFailed,
    require,
)
from app.services.invitation_rows import InviteReport, InviteRow
from app.text import check_name

PURPOSE = "invitation"


def display_state(invitation: Invitation, now, pledged_org_ids: set[int]) -> str:
    """sent, accepted, declined, pledged, expired or revoked."""
    if invitation.status == InvitationStatus.SENT:
        return "expired" if invitation.is_expired(now) else "sent"
    if invitation.status == InvitationStatus.ACCEPTED and invitation.organisation_id in pledged_org_ids:
        return "pledged"
    return str(invitation.status)


def invite(actor: User, bid: Bid, organisation_name: str, email: str) -> Invitation:
    """Invite one organisation. Raises ValidationFailed (per field) or Conflict when already invited."""
    report = invite_many(actor, bid, [(1, organisation_name, email)])
    if report.refused:
        row = report.refused[0]
        raise ValidationFailed({row.field: [row.reason or "Refused."]})
    return report.accepted[0].invitation


def invite_many(actor: User, bid: Bid, rows: list[tuple[int, str, str]]) -> InviteReport:
    """Invite each row (line, organisation name, email: an invitation_rows.Row or a plain tuple); refuse
    duplicates (within the list and against existing invitations) and lines with too many values, with reasons.

    A name binds the invitation to an existing organisation only as ``join_requests.InviteMatcher`` allows;
    otherwise a matching or look-alike name is only a possible match, which that organisation's managers
    confirm when the invitee asks to join (see ``accept_new_user``).
    """
    _require_convenor(actor, bid)
    if not bid.takes_invitations:
        raise InvalidTransition(f"Invitations cannot be sent for a {bid.status} bid.")
    now = clock.now()
    existing = {
        e: str(s)
        for e, s in db.session.execute(
            sa.select(Invitation.email, Invitation.status).where(Invitation.bid_id == bid.id)
        )
    }
    match = join_requests.InviteMatcher(bid, existing)
    seen: dict[str, int] = {}
    names: dict[str, int] = {}  #: organisation name key -> first line invited, to flag one organisation twice
    report = InviteReport()
    expires = now + timedelta(days=current_app.config["INVITATION_DAYS"])
    for parsed in rows:
        line, name, email_raw = parsed
        row = InviteRow(line, name, email_raw, source=getattr(parsed, "source", None))
        reason, row.field = None, "organisation_name"
        if getattr(parsed, "too_many_values", False):
            reason = "This line has more than two values; give just the organisation name and the email."
        else:
            try:
                name = check_name(name or "", "organisation name")
            except ValueError as exc:
                reason = str(exc)
        if reason is None:
            if not name:
                reason = "The organisation name is missing."
            elif len(name) > 200:
                reason = "The organisation name must be 200 characters or fewer."
            else:
                reason = match.convening_body_problem(name)
        if reason is None:
            row.field = "email"
            try:
                email = users.normalise_email(email_raw)
            except ValueError as exc:
                reason = f"The email address is not valid: {email_raw[:100]!r}." if email_raw else str(exc)
            else:
                if email in seen:
                    reason = f"The same email address is on line {seen[email]}."
                elif email in existing:
                    reason = f"This email address was already invited to this bid ({existing[email]})."
                else:
                    reason = match.address_problem(email)
        if reason:
            row.reason = reason
            report.refused.append(row)
            continue
        seen[email] = line
        first = names.setdefault(Organisation.key_for(name), line)
        if first != line:
            row.note = f"The same organisation as line {first}, with another address: one organisation, two contacts."
        match.remember(email)
        bound, possible = match.organisation_for(name, email)
        invitation = Invitation(
            bid_id=bid.id,
            organisation_name=name,
            email=email,
            invited_by_id=actor.id,
            expires_at=expires,
            sent_at=now,
            organisation_id=bound,
            possible_organisation_id=possible,
        )
        db.session.add(invitation)
        row.invitation = invitation
        row.organisation_name, row.email = name, email
        report.accepted.append(row)
    if report.accepted:
        db.session.flush()
        for row in report.accepted:
            if row.invitation.possible_organisation_id is not None:
                row.possible_match = row.invitation.possible_organisation.name
            _issue_link(actor, bid, row.invitation, "invitation.sent")
        directory_members.note_invited(bid, [row.invitation for row in report.accepted])
    return report


def resend(actor: User, invitation: Invitation) -> Invitation:
    """A fresh link (the old one stops working) with a fresh expiry."""
    bid = invitation.bid
    _require_convenor(actor, bid)
    if invitation.status not in (InvitationStatus.SENT, InvitationStatus.REVOKED):
        raise InvalidTransition(f"An invitation that was {invitation.status} cannot be resent.")
    if not bid.takes_invitations:
        raise InvalidTransition(f"Invitations cannot be sent for a {bid.status} bid.")
    before = {"status": str(invitation.status), "expires_at": invitation.expires_at}
    invitation.status = InvitationStatus.SENT
    invitation.expires_at = clock.now() + timedelta(days=current_app.config["INVITATION_DAYS"])
    invitation.sent_at = clock.now()
    invitation.send_count += 1
    _issue_link(actor, bid, invitation, "invitation.resent", before=before)
    return invitation


def revoke(actor: User, invitation: Invitation) -> Invitation:
    _require_convenor(actor, invitation.bid)
    if invitation.status != InvitationStatus.SENT:
        raise InvalidTransition(f"An invitation that was {invitation.status} cannot be revoked.")
    invitation.status = InvitationStatus.REVOKED
    invitation.token_hash = None
    join_requests.cancel_for_invitation(actor, invitation)
    audit.record(
        "invitation.revoked",
        actor=actor,
        bid=invitation.bid,
        subject=invitation,
        before={"status": "sent"},
        after={"status": "revoked"},
    )
    return invitation


def _issue_link(actor: User, bid: Bid, invitation: Invitation, action: str, before: dict | None = None) -> None:
    token, invitation.token_hash = tokens.make(PURPOSE, invitation.id)
    audit.record(
        action,
        actor=actor,
        bid=bid,
        subject=invitation,
        before=before,
        after={
            "email": invitation.email,
            "organisation_name": invitation.organisation_name,
            "expires_at": invitation.expires_at,
        },
    )
    notifications.queue(
        invitation.email,
        "invitation",
        f"Invitation to pledge: {bid.title}",
        bid=bid,
        invitation=invitation,
        link=path_for("invitations.respond", token=token),
        convening_body=bid.organisation.name,
    )


def read_token(token: str) -> Invitation:
    """The invitation a link opens, or TokenInvalid saying why it cannot be used."""
    invitation_id = tokens.read(PURPOSE, token)
    invitation = db.session.get(Invitation, invitation_id) if invitation_id else None
    if invitation is None:
        raise TokenInvalid(
            "tampered",
            "This invitation link is not valid. Check that you copied the whole link "
            "from the email, or ask the convenor to send it again.",
        )
    if invitation.status == InvitationStatus.REVOKED:
        raise TokenInvalid("revoked", "This invitation has been withdrawn by the convenor.")
    if invitation.status == InvitationStatus.ACCEPTED:
        raise TokenInvalid("used", "This invitation has already been accepted. Log in to see the bid.")
    if invitation.status == InvitationStatus.DECLINED:
        raise TokenInvalid(
            "used", "This invitation was declined. Ask the convenor if you would like to join after all."
        )
    if invitation.token_hash != tokens.digest(token):
        raise TokenInvalid(
            "superseded", "A newer invitation email was sent since this one. Use the link in the newest email."
        )
    if invitation.is_expired(clock.received_at()):  # judged when the answer reached the server
        raise TokenInvalid("expired", "This invitation has expired. Ask the convenor to send it again.")
    if not invitation.bid.takes_invitations:
        raise TokenInvalid("closed", f"This bid is {invitation.bid.status} and no longer taking new members.")
    return invitation


def accept_new_user(token: str, *, name: str, password: str, organisation: dict[str, Any] | None) -> User | JoinRequest:
    """Accept as a new person. Returns the new User, or a JoinRequest waiting for an organisation's managers.

    - The invitation names an existing organisation (bound to it, or a possible match and no ``organisation``
      profile given): the person joins it at once only if their address is one of its known contacts;
      otherwise their request goes to its managers and no account exists until one approves.
    - Otherwise ``organisation`` is the new organisation's profile, refused if its name is taken or looks
      like an existing organisation's.
    """
    # The slow password hash comes before the first query: on SQLite a writing request's first query takes
    # the database's write lock, and every other writer would wait out the hash behind it.
    prepared = User.hash_password(password) if isinstance(password, str) and 0 < len(password) <= 200 else None
    invitation = read_token(token)
    waiting = join_requests.pending_for(invitation.id)
    if waiting is not None:
        raise Conflict(f"Your request to join {waiting.organisation.name} is waiting for its managers' answer.")
    if db.session.scalar(sa.select(User.id).where(User.email == invitation.email)):
        raise Conflict("You already have an account with this email address. Log in, then open the link again.")
    errors: dict[str, list[str]] = {}
    try:
        name = users.person_name(name)
    except ValueError as exc:
        errors["name"] = [str(exc)]
    errors["password"] = users.password_problems(password, invitation.email)
    org = invitation.organisation
    if org is None and not organisation and invitation.possible_organisation is not None:
        org = invitation.possible_organisation
    org_clean = None
    if org is None:
        org_clean = users.organisation_values(organisation or {}, errors, prefix="organisation.")
    require(errors)
    if org is not None and not users.is_known_contact(org.id, invitation.email):
        # Joining people who did not agree: only its managers can let this person in.
        return join_requests.request_to_join(
            invitation, org, email=invitation.email, name=name, password=password, password_hash=prepared
        )
    if org is None:
        try:
            org = users.create_organisation(org_clean, OrganisationKind.MEMBER)
        except ValidationFailed as exc:
            raise ValidationFailed({f"organisation.{k}": v for k, v in exc.errors.items()}) from None
    user = users.create_user(
        email=invitation.email,
        name=name,
        password=password,
        role=Role.MEMBER,
        organisation=org,
        password_hash=prepared,
    )
    accept_as(invitation, user)
    return user


def accept_existing_user(token: str, user: User) -> Invitation:
    """Accept as a logged-in member; the invitation joins the user's organisation to the bid."""
    invitation = read_token(token)
    if user.is_convenor:
        raise PermissionDenied(
            "Convenor accounts cannot join bids as members. Log out and accept with a member account."
        )
    if invitation.organisation_id is not None and invitation.organisation_id != user.organisation_id:
        raise PermissionDenied(f"This invitation is for {invitation.organisation.name}, not your organisation.")
    accept_as(invitation, user)
    return invitation


def decline(token: str, reason: str | None = None, *, actor: User | None = None) -> Invitation:
    """Decline through the invitation's link; ``actor`` is the logged-in person who did it, if anyone (the audit
    log otherwise shows it as done by the invitation link)."""
    invitation = read_token(token)
    reason = (reason or "").replace("\x00", "").strip()
    if len(reason) > 2000:
        raise ValidationFailed({"reason": ["Keep the reason to 2,000 characters or fewer."]})
    invitation.status = InvitationStatus.DECLINED
    invitation.decline_reason = reason or None
    invitation.responded_at = clock.received_at()
    invitation.token_hash = None
    audit.record(
        "invitation.declined",
        actor=actor,
        bid=invitation.bid,
        subject=invitation,
        organisation_id=invitation.organisation_id,
        before={"status": "sent"},
        after={"status": "declined", "reason": invitation.decline_reason},
    )
    audit.emit(
        invitation.bid,
        "invitation.declined",
        {"organisation": invitation.organisation_name},
        organisation_id=invitation.organisation_id,
    )
    return invitation


def list_for_bid(bid: Bid) -> list[tuple[Invitation, str]]:
    """Every invitation of the bid with its display state, in two queries."""
    now = clock.now()
    pledged = set(
        db.session.scalars(
            sa.select(Pledge.organisation_id).where(Pledge.bid_id == bid.id, Pledge.status.in_(LIVE_STATUSES))
        )
    )
    rows = db.session.scalars(
        sa.select(Invitation).where(Invitation.bid_id == bid.id).order_by(Invitation.organisation_name, Invitation.id)
    ).all()
    return [(inv, display_state(inv, now, pledged)) for inv in rows]


def get_for_convenor(actor: User, bid: Bid, invitation_id: int) -> Invitation:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.bid_id != bid.id or not is_bid_convenor(actor, bid):
        raise NotFound("No such invitation.")
    return invitation


def _require_convenor(actor: User, bid: Bid) -> None:
    if not is_bid_convenor(actor, bid):
        raise PermissionDenied("Only the bid's convenors can manage invitations.")


def reissue_link(invitation: Invitation, *, reason: str = "reminder") -> str:
    """A fresh link for an invitation still waiting for an answer, for a reminder email; returns its path.

    The previous link stops working (only the newest email's link does), as with a resend; the expiry is kept.
    """
    if invitation.status != InvitationStatus.SENT:
        raise InvalidTransition(f"An invitation that was {invitation.status} has no link to send.")
    token, invitation.token_hash = tokens.make(PURPOSE, invitation.id)
    audit.record(
        "invitation.link_reissued",
        bid=invitation.bid,
        subject=invitation,
        organisation_id=invitation.bid.organisation_id,
        after={"reason": reason},
    )
    return path_for("invitations.respond", token=token)


def reissue_links(bid: Bid, invitation_ids: list[int], *, reason: str = "reminder") -> dict[int, str]:
    """``reissue_link`` for many invitations of one bid in two statements (the scheduler's batches).

    Only invitations still waiting for an answer change; returns invitation id → path of its new link.
    """
    if not invitation_ids:
        return {}
    now = clock.now()
    paths, updates, events = {}, [], []
    for invitation_id in invitation_ids:
        token, token_hash = tokens.make(PURPOSE, invitation_id)
        paths[invitation_id] = path_for("invitations.respond", token=token)
        updates.append({"b_id": invitation_id, "b_hash": token_hash})
        events.append(
            {
                "action": "invitation.link_reissued",
                "bid_id": bid.id,
                "organisation_id": bid.organisation_id,
                "subject_type": "Invitation",
                "subject_id": invitation_id,
                "after": {"reason": reason},
                "created_at": now,
            }
        )
    table = Invitation.__table__
    db.session.execute(
        table.update()
        .where(table.c.id == sa.bindparam("b_id"), table.c.status == InvitationStatus.SENT.value)
        .values(token_hash=sa.bindparam("b_hash")),
        updates,
    )
    db.session.execute(sa.insert(AuditEvent.__table__), events)
    return paths
