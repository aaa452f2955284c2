"""Merging two entries of a body's directory that are one organisation, in one transaction, audited.

Everything of the merged entry moves to the survivor: contacts, tags and invitations; and, when both have
accounts of their own, every bid, pledge, pledge revision, letter, invitation, join request, person and
audit reference of the merged organisation, which is then removed. Totals of every bid are unchanged.
Raises ValidationFailed (the same entry), Conflict (both pledged to one bid; the merged organisation works
with another convening body, whose records this body cannot change).
"""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.infra import clock
from app.models import (
    AuditEvent,
    Bid,
    BidEvent,
    DirectoryContact,
    DirectoryEntry,
    Invitation,
    JoinRequest,
    Letter,
    Organisation,
    Pledge,
    PledgeRevision,
    User,
    entry_invitations,
    entry_tags,
)
from app.services import audit, audit_kinds
from app.services.directory import body_of
from app.services.errors import Conflict, ValidationFailed

#: every column that refers to a member organisation, moved when two organisations become one
ORGANISATION_REFERENCES = [
    (Pledge, Pledge.organisation_id),
    (PledgeRevision, PledgeRevision.organisation_id),
    (Letter, Letter.organisation_id),
    (Invitation, Invitation.organisation_id),
    (JoinRequest, JoinRequest.organisation_id),
    (User, User.organisation_id),
    (AuditEvent, AuditEvent.organisation_id),
    (BidEvent, BidEvent.organisation_id),
]


def merge_entries(actor: User, merged: DirectoryEntry, survivor: DirectoryEntry) -> DirectoryEntry:
    """Merge ``merged`` into ``survivor`` (both of the actor's body, loaded with ``directory.get_entry``)."""
    body_id = body_of(actor)
    if merged.id == survivor.id:
        raise ValidationFailed({"into": ["Choose a different organisation to merge into."]})
    if merged.body_id != body_id or survivor.body_id != body_id:
        raise ValidationFailed({"into": ["Both organisations must be in your directory."]})
    before = {"merged": {"id": merged.id, "name": merged.display_name}, "survivor": {"id": survivor.id}}
    old_org, new_org = merged.organisation_id, survivor.organisation_id
    moved_bids: list[int] = []
    if old_org and new_org and old_org != new_org:
        moved_bids = _merge_organisations(body_id, old_org, new_org)
    elif old_org and not new_org:
        merged.organisation_id = None
        db.session.flush()
        survivor.organisation_id = old_org
    _move_entry(merged, survivor)
    db.session.delete(merged)
    if old_org and new_org and old_org != new_org:
        db.session.flush()
        db.session.execute(sa.delete(Organisation).where(Organisation.id == old_org))
    survivor.updated_at = clock.now()
    db.session.flush()
    after = {"survivor": {"id": survivor.id, "name": survivor.display_name}, "bids": moved_bids}
    audit.record("directory.merged", actor=actor, subject=survivor, before=before, after=after)
    for bid in db.session.scalars(sa.select(Bid).where(Bid.id.in_(moved_bids))):
        audit.record("organisation.merged", actor=actor, bid=bid, subject=survivor, before=before, after=after)
    return survivor


def _merge_organisations(body_id: int, old: int, new: int) -> list[int]:
    elsewhere = db.session.scalar(
        sa.select(sa.func.count()).where(DirectoryEntry.organisation_id == old, DirectoryEntry.body_id != body_id)
    )
    other_bids = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Pledge)
        .join(Bid, Bid.id == Pledge.bid_id)
        .where(Pledge.organisation_id == old, Bid.organisation_id != body_id)
    )
    if elsewhere or other_bids:
        name = db.session.get(Organisation, old).name
        raise Conflict(
            f"{name} also works with another convening body, so its account cannot be merged from your directory."
        )
    both = db.session.scalars(
        sa.select(Bid.title)
        .join(Pledge, Pledge.bid_id == Bid.id)
        .where(Pledge.organisation_id == old)
        .where(Bid.id.in_(sa.select(Pledge.bid_id).where(Pledge.organisation_id == new)))
    ).all()
    if both:
        raise Conflict(
            f"Both organisations pledged to {', '.join(both)}: one of those pledges must be withdrawn "
            "and removed before they can be merged."
        )
    bids = sorted(
        set(db.session.scalars(sa.select(Pledge.bid_id).where(Pledge.organisation_id == old)))
        | set(db.session.scalars(sa.select(Invitation.bid_id).where(Invitation.organisation_id == old)))
    )
    for model, column in ORGANISATION_REFERENCES:
        db.session.execute(sa.update(model).where(column == old).values({column.key: new}))
    db.session.execute(
        sa.update(Invitation).where(Invitation.possible_organisation_id == old).values(possible_organisation_id=new)
    )
    return bids


def _move_entry(merged: DirectoryEntry, survivor: DirectoryEntry) -> None:
    have = {c.email for c in survivor.contacts}
    for contact in list(merged.contacts):
        if contact.email in have:
            continue
        db.session.execute(
            sa.update(DirectoryContact)
            .where(DirectoryContact.id == contact.id)
            .values(entry_id=survivor.id, is_primary=False)
        )
    db.session.execute(
        sa.update(entry_invitations).where(entry_invitations.c.entry_id == merged.id).values(entry_id=survivor.id)
    )
    tags = set(db.session.scalars(sa.select(entry_tags.c.tag_id).where(entry_tags.c.entry_id == survivor.id)))
    for tag_id in db.session.scalars(sa.select(entry_tags.c.tag_id).where(entry_tags.c.entry_id == merged.id)):
        if tag_id not in tags:
            db.session.execute(entry_tags.insert().values(entry_id=survivor.id, tag_id=tag_id))
    for name in ("identifier", "homes_owned", "website"):
        if getattr(survivor, name) in (None, "") and getattr(merged, name) not in (None, ""):
            setattr(survivor, name, getattr(merged, name))
    if not survivor.regions and merged.regions:
        survivor.regions = list(merged.regions)
    db.session.flush()
    db.session.expire(survivor, ["contacts", "tags"])
    db.session.expire(merged, ["contacts", "tags"])


def _merged(e: audit_kinds.Entry) -> str:
    return f"{e.actor} merged two directory entries into {e.organisation or 'one organisation'}."


audit_kinds.declare("directory.merged", _merged, title="Directory entries merged")
audit_kinds.declare("organisation.merged", _merged, title="Organisations merged")
