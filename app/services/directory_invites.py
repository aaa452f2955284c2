"""Inviting organisations of a body's directory to one of its bids: who would be emailed and who skipped,
then the invitations themselves through ``invitations.invite_many`` (its checks, audit and emails).

An organisation with an account of its own is invited by its own name, so the invitation is bound to it and
its contact accepts without entering the organisation's details again. Raises PermissionDenied (not the
bid's convenor), InvalidTransition (the bid takes no invitations), ValidationFailed (nothing chosen).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from app.extensions import db
from app.models import Bid, DirectoryContact, DirectoryEntry, Invitation, InvitationStatus, User, entry_invitations
from app.services import directory, invitations
from app.services.directory import Filter
from app.services.errors import PermissionDenied, ValidationFailed
from app.services.invitation_rows import InviteReport, InviteRow


@dataclass
class Target:
    entry_id: int
    name: str
    contacts: list[DirectoryContact] = field(default_factory=list)  #: all of the entry's contacts
    chosen: set[int] = field(default_factory=set)  #: contact ids to email
    skipped: str | None = None  #: why the organisation is not emailed


@dataclass
class Plan:
    targets: list[Target]

    @property
    def emailed(self) -> list[Target]:
        return [t for t in self.targets if t.skipped is None and t.chosen]

    @property
    def skipped(self) -> list[Target]:
        return [t for t in self.targets if t.skipped is not None]


def _require(actor: User, bid: Bid) -> None:
    if not (actor.is_convenor and actor.organisation_id == bid.organisation_id):
        raise PermissionDenied("Only the bid's convenors can invite organisations to it.")


def plan(actor: User, bid: Bid, flt: Filter, *, contacts: str = "primary") -> Plan:
    """Who of the directory entries matching ``flt`` would be emailed (``contacts``: "primary" or "all"), and
    who is skipped: already invited to this bid, or no contact."""
    _require(actor, bid)
    rows = directory.all_entries(actor, flt)
    ids = [r.entry.id for r in rows]
    by_entry: dict[int, list[DirectoryContact]] = {}
    if ids:
        for contact in db.session.scalars(
            sa.select(DirectoryContact)
            .where(DirectoryContact.entry_id.in_(ids))
            .order_by(DirectoryContact.is_primary.desc(), DirectoryContact.id)
        ):
            by_entry.setdefault(contact.entry_id, []).append(contact)
    invited = dict(
        db.session.execute(
            sa.select(Invitation.email, Invitation.status).where(
                Invitation.bid_id == bid.id, Invitation.status != InvitationStatus.REVOKED
            )
        ).all()
    )
    invited_entries = set(
        db.session.scalars(
            sa.select(entry_invitations.c.entry_id)
            .join(Invitation, Invitation.id == entry_invitations.c.invitation_id)
            .where(Invitation.bid_id == bid.id, Invitation.status != InvitationStatus.REVOKED)
        )
    )
    targets = []
    for row in rows:
        found = by_entry.get(row.entry.id, [])
        target = Target(row.entry.id, row.name, found)
        if row.entry.id in invited_entries:
            target.skipped = "already invited to this bid"
        elif not found:
            target.skipped = "no contact"
        else:
            wanted = found if contacts == "all" else found[:1]
            target.chosen = {c.id for c in wanted if c.email not in invited}
            if not target.chosen:
                target.skipped = "its contact is already invited to this bid"
        targets.append(target)
    return Plan(targets)


def invite_contacts(actor: User, bid: Bid, contact_ids: list[int]) -> InviteReport:
    """Invite the chosen contacts of the body's directory, each on behalf of its organisation."""
    _require(actor, bid)
    if not contact_ids:
        raise ValidationFailed({"contacts": ["Choose at least one organisation to invite."]})
    found = db.session.execute(
        sa.select(DirectoryContact, DirectoryEntry)
        .join(DirectoryEntry, DirectoryEntry.id == DirectoryContact.entry_id)
        .where(DirectoryContact.id.in_(contact_ids), DirectoryEntry.body_id == bid.organisation_id)
        .order_by(DirectoryEntry.id, DirectoryContact.is_primary.desc(), DirectoryContact.id)
    ).all()
    if len(found) != len(set(contact_ids)):
        raise ValidationFailed({"contacts": ["Some of the contacts chosen are not in your directory."]})
    rows = [(i + 1, entry.display_name, contact.email) for i, (contact, entry) in enumerate(found)]
    return invitations.invite_many(actor, bid, rows)


def invite_entries(
    actor: User, bid: Bid, *, entry_ids: list[int] | None = None, tag: str | None = None
) -> InviteReport:
    """Invite the primary contact of each entry named (or with the tag); those skipped are refused rows."""
    _require(actor, bid)
    if not entry_ids and not tag:
        raise ValidationFailed({"organisation_ids": ["Give organisation ids or a tag."]})
    flt = Filter(tag=tag or "", ids=list(entry_ids) if entry_ids else None, sort="added")
    result = plan(actor, bid, flt)
    if entry_ids:
        unknown = set(entry_ids) - {t.entry_id for t in result.targets}
        if unknown:
            raise ValidationFailed(
                {"organisation_ids": [f"Not in your directory: {', '.join(map(str, sorted(unknown)))}."]}
            )
    chosen = [cid for t in result.emailed for cid in sorted(t.chosen)]
    report = invite_contacts(actor, bid, chosen) if chosen else InviteReport()
    for target in result.skipped:
        report.refused.append(InviteRow(0, target.name, "", reason=f"Skipped: {target.skipped}."))
    return report
