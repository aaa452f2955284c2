"""Keeping a convening body's directory complete: every organisation invited to or accepted into one of
the body's bids is in it, with the invited addresses as its contacts.

Called by the invitation services in their own transaction; raises nothing of its own.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from app.extensions import db
from app.infra import clock
from app.models import Bid, DirectoryContact, DirectoryEntry, Invitation, Organisation, User, entry_invitations


class Directory:
    """One body's entries, looked up by organisation and by name key, loaded once for a batch."""

    def __init__(self, body_id: int, names: Iterable[str] = (), organisation_ids: Iterable[int] = ()):
        self.body_id = body_id
        keys = {Organisation.key_for(n) for n in names}
        orgs = {o for o in organisation_ids if o}
        self.by_key: dict[str, DirectoryEntry] = {}
        self.by_org: dict[int, DirectoryEntry] = {}
        if keys or orgs:
            found = db.session.scalars(
                sa.select(DirectoryEntry).where(
                    DirectoryEntry.body_id == body_id,
                    sa.or_(DirectoryEntry.name_key.in_(keys), DirectoryEntry.organisation_id.in_(orgs)),
                )
            )
            for entry in found:
                self.by_key[entry.name_key] = entry
                if entry.organisation_id:
                    self.by_org[entry.organisation_id] = entry
        ids = [e.id for e in self.by_key.values()]
        self.emails: dict[int, set[str]] = {i: set() for i in ids}
        self.has_primary: set[int] = set()
        if ids:
            for entry_id, email, primary in db.session.execute(
                sa.select(DirectoryContact.entry_id, DirectoryContact.email, DirectoryContact.is_primary).where(
                    DirectoryContact.entry_id.in_(ids)
                )
            ):
                self.emails[entry_id].add(email)
                if primary:
                    self.has_primary.add(entry_id)

    def entry_for(self, name: str, organisation: Organisation | None = None) -> DirectoryEntry:
        """The entry for this organisation (or, without one, this name), made when missing."""
        entry = self.by_org.get(organisation.id) if organisation else None
        key = Organisation.key_for(organisation.name if organisation else name)
        entry = entry or self.by_key.get(key) or self.by_key.get(Organisation.key_for(name))
        if entry is None:
            now = clock.now()
            entry = DirectoryEntry(
                body_id=self.body_id,
                name=organisation.name if organisation else name,
                name_key=key,
                regions=[],
                created_at=now,
                updated_at=now,
            )
            db.session.add(entry)
            db.session.flush()
            self.by_key[key] = entry
            self.emails[entry.id] = set()
        if organisation is not None and entry.organisation_id is None and organisation.id not in self.by_org:
            entry.organisation_id = organisation.id
            entry.organisation = organisation
            self.by_org[organisation.id] = entry
        return entry

    def add_contact(self, entry: DirectoryEntry, email: str, *, name: str = "", user: User | None = None) -> None:
        if email in self.emails[entry.id]:
            if user is not None:
                db.session.execute(
                    sa.update(DirectoryContact)
                    .where(DirectoryContact.entry_id == entry.id, DirectoryContact.email == email)
                    .values(user_id=user.id)
                )
            return
        primary = entry.id not in self.has_primary
        db.session.add(
            DirectoryContact(
                entry_id=entry.id, email=email, name=name, is_primary=primary, user_id=user.id if user else None
            )
        )
        self.emails[entry.id].add(email)
        if primary:
            self.has_primary.add(entry.id)


def note_invited(bid: Bid, invitations: list[Invitation]) -> None:
    """The invited organisations join the bid's body's directory, each invited address as a contact."""
    if not invitations:
        return
    directory = Directory(
        bid.organisation_id, [i.organisation_name for i in invitations], [i.organisation_id for i in invitations]
    )
    links = []
    for invitation in invitations:
        organisation = db.session.get(Organisation, invitation.organisation_id) if invitation.organisation_id else None
        entry = directory.entry_for(invitation.organisation_name, organisation)
        directory.add_contact(entry, invitation.email)
        links.append({"invitation_id": invitation.id, "entry_id": entry.id})
    db.session.flush()
    db.session.execute(entry_invitations.insert(), links)


def note_accepted(invitation: Invitation, user: User) -> None:
    """The accepting organisation is linked to its directory entry; the person's contact to their account."""
    organisation = user.organisation
    directory = Directory(invitation.bid.organisation_id, [invitation.organisation_name], [organisation.id])
    entry = directory.entry_for(invitation.organisation_name, organisation)
    directory.add_contact(entry, invitation.email, name=user.name, user=user)
    db.session.flush()
    linked = db.session.scalar(
        sa.select(entry_invitations.c.entry_id).where(entry_invitations.c.invitation_id == invitation.id)
    )
    if linked is None:
        db.session.execute(entry_invitations.insert().values(invitation_id=invitation.id, entry_id=entry.id))
    elif linked != entry.id:  # the invitation went to a name; the organisation that accepted has its own entry
        db.session.execute(
            sa.update(entry_invitations)
            .where(entry_invitations.c.invitation_id == invitation.id)
            .values(entry_id=entry.id)
        )
