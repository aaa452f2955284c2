"""Invitation links: one per email, each working until it is used, revoked, or its invitation expires.

A link is a signed token naming the invitation; only its SHA-256 is stored, one InvitationLink row per email
that carried one (the invitation, a resend, a reminder, a deadline notice), so a newer email never breaks an
older one. Answering the invitation ends every link as used; withdrawing it ends every link as revoked, and a
later resend adds a new link without reviving the revoked ones. An invitation expires no earlier than the bid's
deadline plus its grace window, and a later deadline moves that expiry with it.

Raises TokenInvalid (reading a link) and InvalidTransition (a link for an invitation already answered).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app import notifications
from app.extensions import db
from app.infra import clock, tokens
from app.infra.links import path_builder, path_for
from app.models import AuditEvent, Bid, Invitation, InvitationLink, InvitationStatus, LinkEnd, User
from app.models.types import UTCDateTime
from app.services import audit
from app.services.errors import InvalidTransition, TokenInvalid

PURPOSE = "invitation"


def expiry_for(bid: Bid, now: datetime) -> datetime:
    """When a link sent now stops working: the usual invitation period, but never before the grace window ends."""
    usual = now + timedelta(days=current_app.config["INVITATION_DAYS"])
    return max(usual, bid.grace_ends) if bid.deadline is not None else usual


def keep_until_deadline(bid: Bid) -> int:
    """Move the expiry of every invitation still to be answered to at least the bid's grace end, in one statement.

    Called when the deadline or the grace window changes, so a later deadline never leaves a link expired
    before it. Returns how many invitations moved.
    """
    if bid.deadline is None:
        return 0
    floor = bid.grace_ends
    result = db.session.execute(
        sa.update(Invitation)
        .where(
            Invitation.bid_id == bid.id,
            Invitation.status == InvitationStatus.SENT,
            Invitation.expires_at < floor,
        )
        .values(expires_at=floor),
        execution_options={"synchronize_session": "fetch"},  # loaded invitations see their new expiry
    )
    return result.rowcount or 0


def _new_link(invitation: Invitation, reason: str) -> str:
    token, token_hash = tokens.make(PURPOSE, invitation.id)
    db.session.add(InvitationLink(invitation_id=invitation.id, token_hash=token_hash, reason=reason))
    return path_for("invitations.respond", token=token)


def send_invitation(
    actor: User, bid: Bid, invitation: Invitation, action: str, *, reason: str, before: dict | None = None
) -> None:
    """Add a link for ``invitation``, record ``action`` and queue the invitation email carrying the link."""
    link = _new_link(invitation, reason)
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
        link=link,
        convening_body=bid.organisation.name,
        message=invitation.message,
        contact=actor,  # the convenor who sends it is the invitee's contact, and replies go to them
        reply_to=actor.email,
    )


def end_links(invitation: Invitation, why: LinkEnd) -> None:
    """Stop every working link of the invitation (it was answered, or withdrawn), in one statement."""
    db.session.execute(
        sa.update(InvitationLink)
        .where(InvitationLink.invitation_id == invitation.id, InvitationLink.ended_at.is_(None))
        .values(ended_at=clock.now(), ended=why),
        execution_options={"synchronize_session": "fetch"},
    )


def reissue_link(invitation: Invitation, *, reason: str = "reminder") -> str:
    """A further link for an invitation still waiting for an answer, for a reminder email; returns its path.

    The earlier links keep working; the expiry is kept.
    """
    if invitation.status != InvitationStatus.SENT:
        raise InvalidTransition(f"An invitation that was {invitation.status} has no link to send.")
    path = _new_link(invitation, reason)
    audit.record(
        "invitation.link_reissued",
        bid=invitation.bid,
        subject=invitation,
        organisation_id=invitation.bid.organisation_id,
        after={"reason": reason},
    )
    return path


def reissue_links(bid: Bid, invitation_ids: list[int], *, reason: str = "reminder") -> dict[int, str]:
    """``reissue_link`` for many invitations of one bid in two statements (the scheduler's batches): one
    executemany ``INSERT … SELECT`` for the links and one for their audit rows.

    A link is stored only for an invitation still waiting for an answer; returns invitation id → path of its link.
    """
    if not invitation_ids:
        return {}
    now = clock.now()
    paths, rows, events = {}, [], []
    respond = path_builder("invitations.respond")
    for invitation_id, (token, token_hash) in zip(
        invitation_ids, tokens.make_many(PURPOSE, invitation_ids), strict=True
    ):
        paths[invitation_id] = respond(token=token)
        rows.append({"b_id": invitation_id, "b_hash": token_hash})
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
    invitation = Invitation.__table__
    db.session.execute(
        sa.insert(InvitationLink.__table__).from_select(
            ["invitation_id", "token_hash", "reason", "created_at"],
            sa.select(
                invitation.c.id,
                sa.bindparam("b_hash", type_=sa.String(64)),
                sa.literal(reason, sa.String(40)),
                sa.literal(now, UTCDateTime),
            ).where(invitation.c.id == sa.bindparam("b_id"), invitation.c.status == InvitationStatus.SENT.value),
        ),
        rows,
    )
    db.session.execute(sa.insert(AuditEvent.__table__), events)
    return paths


def read_token(token: str) -> Invitation:
    """The invitation a link opens, or TokenInvalid saying why it cannot be used."""
    invitation_id = tokens.read(PURPOSE, token)
    link = None
    if invitation_id:
        link = db.session.scalar(sa.select(InvitationLink).where(InvitationLink.token_hash == tokens.digest(token)))
    if link is None or link.invitation_id != invitation_id:
        raise TokenInvalid(
            "tampered",
            "This invitation link is not valid. Check that you copied the whole link "
            "from the email, or ask the convenor to send it again.",
        )
    invitation = link.invitation
    if invitation.status == InvitationStatus.REVOKED:
        raise TokenInvalid("revoked", "This invitation has been withdrawn by the convenor.")
    if invitation.status == InvitationStatus.ACCEPTED:
        raise TokenInvalid("used", "This invitation has already been accepted. Log in to see the bid.")
    if invitation.status == InvitationStatus.DECLINED:
        raise TokenInvalid(
            "used", "This invitation was declined. Ask the convenor if you would like to join after all."
        )
    if link.ended == LinkEnd.REVOKED:
        raise TokenInvalid(
            "revoked",
            "This link was withdrawn by the convenor before they invited you again. "
            "Use the link in their newest email.",
        )
    if link.ended == LinkEnd.USED:
        raise TokenInvalid("used", "This invitation link has already been used. The answer comes to you by email.")
    if invitation.is_expired(clock.received_at()):  # judged when the answer reached the server
        raise TokenInvalid("expired", "This invitation has expired. Ask the convenor to send it again.")
    if not invitation.bid.takes_invitations:
        raise TokenInvalid("closed", f"This bid is {invitation.bid.status} and no longer taking new members.")
    return invitation
