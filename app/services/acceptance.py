"""Accepting an invitation: the organisation of the person accepting joins the bid.

Its own module because both ways of accepting end here: an invitation answered at once
(app.services.invitations) and one that waited for a manager's approval (app.services.join_requests).
"""

from __future__ import annotations

from app.extensions import db
from app.infra import clock
from app.models import Invitation, InvitationStatus, LinkEnd, User
from app.services import audit, directory_members
from app.services.invitation_links import end_links


def accept_as(invitation: Invitation, user: User) -> None:
    """Mark the invitation accepted by ``user``: their organisation joins the bid."""
    invitation.status = InvitationStatus.ACCEPTED
    invitation.organisation_id = user.organisation_id
    invitation.accepted_by_id = user.id
    invitation.responded_at = clock.received_at()
    end_links(invitation, LinkEnd.USED)  # single use: every link of it stops
    db.session.flush()
    directory_members.note_accepted(invitation, user)
    audit.record(
        "invitation.accepted",
        actor=user,
        bid=invitation.bid,
        subject=invitation,
        before={"status": "sent"},
        after={"status": "accepted", "organisation_id": user.organisation_id},
    )
    audit.emit(
        invitation.bid,
        "invitation.accepted",
        {"organisation": user.organisation.name},
        organisation_id=user.organisation_id,
    )
