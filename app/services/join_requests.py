"""Requests to join an organisation that already has people, made on accepting an invitation and decided by
the organisation's managers. No account exists until a manager approves; after a refusal there is none.

Raises Conflict, InvalidTransition, NotFound and PermissionDenied.
"""

from __future__ import annotations

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from app import notifications
from app.extensions import db
from app.models import (
    BidStatus,
    Invitation,
    InvitationStatus,
    JoinRequest,
    JoinRequestStatus,
    Organisation,
    Role,
    User,
)
from app.services import audit, clock, links, users
from app.services.errors import Conflict, InvalidTransition, NotFound, PermissionDenied


def request_to_join(invitation: Invitation, organisation: Organisation, *, email: str, name: str, password: str):
    """Ask ``organisation``'s managers to let this person in; tell them once the transaction commits.

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
        password_hash=generate_password_hash(password),
    )
    db.session.add(request)
    invitation.token_hash = None  # the link is used: the answer comes by email
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
            f"{name} asks to join {organisation.name}",
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
    from app.services.invitations import accept_as

    accept_as(invitation, user)
    notifications.queue(
        request.email,
        "join_decided",
        f"You have joined {request.organisation.name}",
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
        invitation.token_hash = None
        invitation.organisation_id = None  # not the organisation's answer to the bid: it never joined through this
    notifications.queue(
        request.email,
        "join_decided",
        f"Your request to join {request.organisation.name} was refused",
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
