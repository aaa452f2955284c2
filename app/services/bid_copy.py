"""Copying a bid: a new draft with the same case, terms, figures, thresholds, visibility and reminder plan.

The deadline is not copied: the convenor gives the new bid's deadline when copying (the old one has usually
passed). The copy can invite the same organisations again, those who pledged or everyone invited, through
``invitations.invite_many``, so each email goes after the commit with its own link.

Raises ValidationFailed (the deadline, the title, the choice of who to invite) and PermissionDenied.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Bid, Invitation, InvitationStatus, Pledge, User
from app.models.pledge import LIVE_STATUSES
from app.services import audit, audit_kinds, bids, invitations
from app.services.access import is_bid_convenor
from app.services.errors import PermissionDenied, ValidationFailed
from app.services.invitation_rows import InviteReport

#: The values a copy takes from its bid, besides the title (marked as a copy).
COPIED = (
    "funder_name",
    "scheme",
    "summary",
    "terms",
    "target_pence",
    "target_homes",
    "min_pledge_pence",
    "min_total_pence",
    "min_members",
    "show_amounts",
    "grace_minutes",
)
#: Whom the copy invites: nobody, the organisations with a live pledge, or every organisation invited
#: (but those whose invitation the convenor withdrew).
INVITE = {
    "none": "Nobody yet",
    "pledged": "The organisations that pledged to this bid",
    "invited": "Every organisation invited to this bid (but withdrawn invitations)",
}
SUFFIX = " (copy)"


def copy_title(title: str) -> str:
    """The title marked as a copy, within the 200 characters a title may have."""
    return title[: 200 - len(SUFFIX)] + SUFFIX


def copy_bid(
    actor: User, source: Bid, *, deadline: datetime | None, title: str | None = None, invite: str = "none"
) -> tuple[Bid, InviteReport | None]:
    """A new draft copied from ``source``, and the report of the invitations it sent (None when it sent none)."""
    if not is_bid_convenor(actor, source):
        raise PermissionDenied("Only the bid's convenors can copy it.")
    if invite not in INVITE:
        raise ValidationFailed({"invite": ["Choose whom to invite: " + ", ".join(INVITE) + "."]})
    values = {name: getattr(source, name) for name in COPIED}
    values["title"] = copy_title(source.title) if title is None else title
    if deadline is not None:
        values["deadline"] = deadline
    bid = bids.create_bid(actor, values)
    bid.reminder_plan = list(source.reminder_plan or [])
    db.session.flush()
    audit.record("bid.copied", actor=actor, bid=bid, subject=bid, after={"copied_from": source.id})
    audit.record("bid.copied_to", actor=actor, bid=source, subject=source, after={"copy": bid.id})
    rows = _rows_to_invite(source, invite)
    report = invitations.invite_many(actor, bid, rows) if rows else None
    return bid, report


def _rows_to_invite(source: Bid, invite: str) -> list[tuple[int, str, str]]:
    """(line, organisation name, email) for each organisation to invite again, in three queries.

    An organisation that joined is invited at the address of the person who accepted (their account's,
    which may have changed), and by its own name, so the new invitation names it and its people accept by
    logging in, without entering its profile again.
    """
    if invite == "none":
        return []
    stmt = (
        sa.select(Invitation)
        .where(Invitation.bid_id == source.id, Invitation.status != InvitationStatus.REVOKED)
        .order_by(Invitation.organisation_name, Invitation.id)
        .options(selectinload(Invitation.accepted_by), selectinload(Invitation.organisation))
    )
    if invite == "pledged":
        pledged = sa.select(Pledge.organisation_id).where(Pledge.bid_id == source.id, Pledge.status.in_(LIVE_STATUSES))
        stmt = stmt.where(
            Invitation.status == InvitationStatus.ACCEPTED, Invitation.organisation_id.in_(pledged.scalar_subquery())
        )
    rows, seen = [], set()
    for invitation in db.session.scalars(stmt):
        person = invitation.accepted_by
        email = person.email if person is not None and person.is_enabled else invitation.email
        name = invitation.organisation.name if invitation.organisation is not None else invitation.organisation_name
        if email.casefold() in seen:
            continue
        seen.add(email.casefold())
        rows.append((len(rows) + 1, name, email))
    return rows


audit_kinds.declare(
    "bid.copied", lambda e: f"{e.actor} made this draft as a copy of another bid.", title="Bid copied from"
)
audit_kinds.declare("bid.copied_to", lambda e: f"{e.actor} copied this bid to a new draft.", title="Bid copied")
