"""Invitations: invite one or many, resend, revoke, and the invitee's accept or decline.

Raises ValidationFailed, Conflict, TokenInvalid, InvalidTransition and PermissionDenied.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.infra import clock
from app.models import (
    Bid,
    Invitation,
    InvitationStatus,
    JoinRequest,
    LinkEnd,
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
    ValidationFailed,
    require,
)
from app.services.invitation_links import end_links, expiry_for, read_token, send_invitation
from app.services.invitation_rows import InviteReport, InviteRow
from app.text import check_name, clean_text, without_format_characters


def display_state(invitation: Invitation, now, pledged_org_ids: set[int]) -> str:
    """sent, accepted, declined, pledged, expired or revoked."""
    if invitation.status == InvitationStatus.SENT:
        return "expired" if invitation.is_expired(now) else "sent"
    if invitation.status == InvitationStatus.ACCEPTED and invitation.organisation_id in pledged_org_ids:
        return "pledged"
    return str(invitation.status)


#: the longest personal message a convenor can put in an invitation email
MAX_MESSAGE = 2000


def personal_message(value: object) -> str | None:
    """The convenor's message cleaned for an email (None when empty). Raises ValidationFailed on ``message``.

    Line endings are normalised; control characters and invisible format characters (bidi overrides,
    zero-width joiners), which could make the text read differently from what was typed, are removed.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationFailed({"message": ["The message must be text."]})
    text = without_format_characters(clean_text(value)).strip()
    if len(text) > MAX_MESSAGE:
        raise ValidationFailed(
            {"message": [f"Keep the message to {MAX_MESSAGE:,} characters or fewer (it has {len(text):,})."]}
        )
    return text or None


def invite(actor: User, bid: Bid, organisation_name: str, email: str, *, message: str | None = None) -> Invitation:
    """Invite one organisation. Raises ValidationFailed (per field) or Conflict when already invited."""
    report = invite_many(actor, bid, [(1, organisation_name, email)], message=message)
    if report.refused:
        row = report.refused[0]
        raise ValidationFailed({row.field: [row.reason or "Refused."]})
    return report.accepted[0].invitation


def invite_many(actor: User, bid: Bid, rows: list[tuple[int, str, str]], *, message: str | None = None) -> InviteReport:
    """Invite each row (line, organisation name, email: an invitation_rows.Row or a plain tuple); refuse
    duplicates (within the list and against existing invitations) and lines with too many values, with reasons.
    ``message`` is the convenor's personal message for every invitation email (see ``personal_message``).

    A name binds the invitation to an existing organisation only as ``join_requests.InviteMatcher`` allows;
    otherwise a matching or look-alike name is only a possible match, which that organisation's managers
    confirm when the invitee asks to join (see ``accept_new_user``).
    """
    _require_convenor(actor, bid)
    if not bid.takes_invitations:
        raise InvalidTransition(f"Invitations cannot be sent for a {bid.status} bid.")
    message = personal_message(message)
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
    expires = expiry_for(bid, now)
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
            message=message,
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
            send_invitation(actor, bid, row.invitation, "invitation.sent", reason="invitation")
        directory_members.note_invited(bid, [row.invitation for row in report.accepted])
    return report


def resend(actor: User, invitation: Invitation) -> Invitation:
    """Send the invitation again with a further link and a fresh expiry.

    The links already sent keep working (a resend is for an email that went astray); links withdrawn by a revoke
    stay withdrawn, so resending a revoked invitation reaches only whoever gets the new email.
    """
    bid = invitation.bid
    _require_convenor(actor, bid)
    if invitation.status not in (InvitationStatus.SENT, InvitationStatus.REVOKED):
        raise InvalidTransition(f"An invitation that was {invitation.status} cannot be resent.")
    if not bid.takes_invitations:
        raise InvalidTransition(f"Invitations cannot be sent for a {bid.status} bid.")
    before = {"status": str(invitation.status), "expires_at": invitation.expires_at}
    invitation.status = InvitationStatus.SENT
    invitation.expires_at = expiry_for(bid, clock.now())
    invitation.sent_at = clock.now()
    invitation.send_count += 1
    send_invitation(actor, bid, invitation, "invitation.resent", reason="resend", before=before)
    return invitation


def revoke(actor: User, invitation: Invitation) -> Invitation:
    _require_convenor(actor, invitation.bid)
    if invitation.status != InvitationStatus.SENT:
        raise InvalidTransition(f"An invitation that was {invitation.status} cannot be revoked.")
    invitation.status = InvitationStatus.REVOKED
    end_links(invitation, LinkEnd.REVOKED)
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
    end_links(invitation, LinkEnd.USED)
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
