"""Requests to join an organisation that already has people, made on accepting an invitation and decided by
the organisation's managers. No account exists until a manager approves; after a refusal there is none.

Raises Conflict, InvalidTransition, NotFound and PermissionDenied.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from app import notifications
from app.extensions import db
from app.infra import clock, links
from app.models import (
    Bid,
    BidStatus,
    Invitation,
    InvitationStatus,
    JoinRequest,
    JoinRequestStatus,
    LinkEnd,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from app.services import audit, users
from app.services.acceptance import accept_as
from app.services.errors import Conflict, InvalidTransition, NotFound, PermissionDenied
from app.services.invitation_links import end_links
from app.text import skeleton


class InviteMatcher:
    """For one bid's invitations: which existing organisation an invited name is, and look-alike addresses.

    A name folded for case and spaces binds to an organisation only when the bid's convening body has worked
    with it (it accepted one of the body's invitations) or the address is one of its known contacts; a name
    equal to or confusable with another member organisation's is only a possible match.
    """

    def __init__(self, bid: Bid, invited: Iterable[str]):
        self.worked_with = set(
            db.session.scalars(
                sa.select(Invitation.organisation_id)
                .join(Bid, Bid.id == Invitation.bid_id)
                .where(
                    Bid.organisation_id == bid.organisation_id,
                    Invitation.status == InvitationStatus.ACCEPTED,
                    Invitation.organisation_id.is_not(None),
                )
                .distinct()
            )
        )
        self.invited = {skeleton(e): e for e in invited}
        self.accounts = {skeleton(e): e for e in db.session.scalars(sa.select(User.email))}
        self.members: dict[str, int] = {}
        self.member_looks: dict[str, int] = {}
        self.body_looks: dict[str, str] = {}
        for org_id, name, key, kind in db.session.execute(
            sa.select(Organisation.id, Organisation.name, Organisation.name_key, Organisation.kind).order_by(
                Organisation.id
            )
        ):
            if kind == OrganisationKind.CONVENOR:
                self.body_looks.setdefault(skeleton(name), name)
            else:
                self.members[key] = org_id
                self.member_looks.setdefault(skeleton(name), org_id)

    def convening_body_problem(self, name: str) -> str | None:
        body = self.body_looks.get(skeleton(name))
        if body is None:
            return None
        if Organisation.key_for(body) == Organisation.key_for(name):
            return "That is a convening body, not a member organisation."
        return f"That name looks like a convening body's ({body}), not a member organisation's."

    def address_problem(self, email: str) -> str | None:
        look = skeleton(email)
        if look in self.invited and self.invited[look] != email:
            other = self.invited[look]
            return f"This address looks like {other}, also invited to this bid: check for look-alike letters."
        if look in self.accounts and self.accounts[look] != email:
            return "This address looks like another account's address (a look-alike letter); type it again."
        return None

    def remember(self, email: str) -> None:
        self.invited.setdefault(skeleton(email), email)

    def organisation_for(self, name: str, email: str) -> tuple[int | None, int | None]:
        """(the organisation to bind the invitation to, or None; the possible match, or None)."""
        org_id = self.members.get(Organisation.key_for(name))
        if org_id is not None and (org_id in self.worked_with or users.is_known_contact(org_id, email)):
            return org_id, None
        return None, org_id if org_id is not None else self.member_looks.get(skeleton(name))


def request_to_join(
    invitation: Invitation,
    organisation: Organisation,
    *,
    email: str,
    name: str,
    password: str,
    password_hash: str | None = None,
):
    """Ask ``organisation``'s managers to let this person in; tell them once the transaction commits.

    ``password_hash``, when the caller has already hashed ``password`` (outside the write lock), is kept as is.

    The invitation's link is used up: the person waits for the answer by email. Raises Conflict when a request
    for this address is already waiting, or when the organisation has no manager to decide.
    """
    waiting = db.session.scalar(
        sa.select(JoinRequest.id).where(
            JoinRequest.organisation_id == organisation.id,
            JoinRequest.email == email,
            JoinRequest.status == JoinRequestStatus.PENDING,
        )
    )
    if waiting:
        raise Conflict(f"Your request to join {organisation.name} is already waiting for its managers' answer.")
    managers = users.managers_of(organisation.id)
    if not managers:
        raise Conflict(
            f"{organisation.name} has no one who can approve new people yet. Ask the convenor to check the "
            "organisation named in the invitation."
        )
    request = JoinRequest(
        invitation_id=invitation.id,
        organisation_id=organisation.id,
        email=email,
        name=name,
        password_hash=password_hash or generate_password_hash(password),
    )
    db.session.add(request)
    end_links(invitation, LinkEnd.USED)  # the link is used: the answer comes by email
    db.session.flush()
    audit.record(
        "join_request.created",
        bid=invitation.bid,
        organisation_id=organisation.id,
        subject=request,
        after={"email": email, "name": name, "organisation_id": organisation.id, "invitation_id": invitation.id},
    )
    for manager in managers:
        notifications.queue(
            manager.email,
            "join_request",
            f"{name} asks to join {organisation.name}: {invitation.bid.title}",
            bid=invitation.bid,
            request=request,
            organisation=organisation,
            manager=manager,
            convening_body=invitation.bid.organisation.name,
            link=links.path_for("invitations.join_requests"),
        )
    return request


def pending_for(invitation_id: int) -> JoinRequest | None:
    return db.session.scalar(
        sa.select(JoinRequest).where(
            JoinRequest.invitation_id == invitation_id, JoinRequest.status == JoinRequestStatus.PENDING
        )
    )


def awaiting_for_bid(bid: Bid) -> set[int]:
    """Ids of the bid's invitations whose invitee waits for an organisation's managers to approve them."""
    return set(
        db.session.scalars(
            sa.select(JoinRequest.invitation_id)
            .join(Invitation, Invitation.id == JoinRequest.invitation_id)
            .where(Invitation.bid_id == bid.id, JoinRequest.status == JoinRequestStatus.PENDING)
        )
    )


def requests_for_manager(actor: User) -> list[JoinRequest]:
    """The requests to join the actor's organisation, waiting ones first; PermissionDenied for non-managers."""
    _require_manager(actor)
    return list(
        db.session.scalars(
            sa.select(JoinRequest)
            .where(JoinRequest.organisation_id == actor.organisation_id)
            .order_by((JoinRequest.status == JoinRequestStatus.PENDING).desc(), JoinRequest.id.desc())
            .limit(200)
        )
    )


def get_for_manager(actor: User, request_id: int) -> JoinRequest:
    """The request, for a manager of its organisation; NotFound for everyone else."""
    request = db.session.get(JoinRequest, request_id)
    if request is None or not _is_manager_of(actor, request.organisation_id):
        raise NotFound("No such request.")
    return request


def approve(actor: User, request: JoinRequest) -> User:
    """Make the account (with the password the person chose) in the organisation and accept the invitation."""
    _require_pending(actor, request)
    invitation = request.invitation
    if invitation.status != InvitationStatus.SENT:
        raise InvalidTransition(f"The invitation behind this request was {invitation.status}; it can only be refused.")
    if invitation.bid.status not in (BidStatus.DRAFT, BidStatus.OPEN):
        raise InvalidTransition(f"The bid is {invitation.bid.status} and takes no new members; refuse the request.")
    if db.session.scalar(sa.select(User.id).where(User.email == request.email)):
        raise Conflict("An account with this address exists already: refuse the request.")
    user = User(
        email=request.email,
        name=request.name,
        role=Role.MEMBER,
        organisation_id=request.organisation_id,
        password_hash=request.password_hash,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.created",
        actor=actor,
        organisation_id=request.organisation_id,
        subject=user,
        after={"email": user.email, "role": str(user.role), "manager": False, "join_request_id": request.id},
    )
    _decide(actor, request, JoinRequestStatus.APPROVED)
    request.user_id = user.id
    accept_as(invitation, user)
    notifications.queue(
        request.email,
        "join_decided",
        f"You have joined {request.organisation.name}: {request.invitation.bid.title}",
        bid=invitation.bid,
        request=request,
        approved=True,
        link=links.path_for("bids.show", bid_id=invitation.bid_id),
    )
    return user


def refuse(actor: User, request: JoinRequest) -> JoinRequest:
    """Refuse: no account is made, the invitation is closed as declined and its link stays dead."""
    _require_pending(actor, request)
    _decide(actor, request, JoinRequestStatus.REFUSED)
    invitation = request.invitation
    if invitation.status == InvitationStatus.SENT:
        invitation.status = InvitationStatus.DECLINED
        invitation.decline_reason = f"{request.organisation.name} did not recognise {request.email}."
        invitation.responded_at = clock.now()
        end_links(invitation, LinkEnd.USED)
        invitation.organisation_id = None  # not the organisation's answer to the bid: it never joined through this
    notifications.queue(
        request.email,
        "join_decided",
        f"Your request to join {request.organisation.name} was refused: {request.invitation.bid.title}",
        bid=invitation.bid,
        request=request,
        approved=False,
        link=None,
    )
    return request


def cancel_for_invitation(actor: User | None, invitation: Invitation) -> None:
    """The convenor revoked the invitation: a request waiting on it is cancelled (inside the revoke)."""
    request = pending_for(invitation.id)
    if request is not None:
        _decide(actor, request, JoinRequestStatus.CANCELLED)


def _decide(actor: User | None, request: JoinRequest, status: JoinRequestStatus) -> None:
    request.status = status
    request.decided_at = clock.now()
    request.decided_by_id = actor.id if actor is not None else None
    request.password_hash = None
    audit.record(
        f"join_request.{status}",
        actor=actor,
        bid=request.invitation.bid,
        organisation_id=request.organisation_id,
        subject=request,
        before={"status": "pending"},
        after={"status": str(status), "email": request.email},
    )


def _is_manager_of(user: User | None, organisation_id: int) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_enabled
        and user.is_manager
        and not user.is_convenor
        and user.organisation_id == organisation_id
    )


def _require_manager(actor: User) -> None:
    if not _is_manager_of(actor, actor.organisation_id):
        raise PermissionDenied("Only your organisation's managers can decide who joins it.")


def _require_pending(actor: User, request: JoinRequest) -> None:
    if not _is_manager_of(actor, request.organisation_id):
        raise NotFound("No such request.")
    if request.status != JoinRequestStatus.PENDING:
        raise InvalidTransition(f"This request was {request.status} already.")
