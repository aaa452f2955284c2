"""Test data for impact returns: a convening body, member organisations it has worked with, a programme."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import DirectoryEntry, InvitationStatus, Programme, User
from app.services.returns import programmes
from tests.factories import BidFactory, ConvenorFactory, InvitationFactory, OrganisationFactory, UserFactory

MEASURES = [
    {"code": "CALLS", "label": "Welfare calls", "unit": "count", "kind": "flow", "required": True},
    {"code": "FOOD", "label": "Food parcels", "unit": "count", "kind": "flow", "required": False},
    {"code": "ARREARS", "label": "Residents at risk of arrears", "unit": "count", "kind": "stock", "required": True},
]


def network(n: int, *, homes=lambda i: 1000 * i, prefix: str = "Landlord") -> tuple[User, list[User]]:
    """A convenor and ``n`` member users (one per organisation, homes from ``homes(i)``, i from 1), each
    organisation having accepted an invitation to one of the body's bids and linked in its directory."""
    convenor = ConvenorFactory()
    bid = BidFactory(created_by=convenor, organisation=convenor.organisation)
    members = []
    for i in range(1, n + 1):
        org = OrganisationFactory(name=f"{prefix} {i:02d}", homes_owned=homes(i))
        user = UserFactory(organisation=org, email=f"m{i}.{convenor.id}@example.org", is_manager=True)
        InvitationFactory(
            bid=bid,
            organisation=org,
            organisation_name=org.name,
            email=user.email,
            status=InvitationStatus.ACCEPTED,
            accepted_by=user,
        )
        members.append(user)
        db.session.add(
            DirectoryEntry(body_id=convenor.organisation_id, organisation=org, name=org.name, name_key=org.name_key)
        )
    db.session.flush()
    return convenor, members


def programme_for(
    convenor: User,
    members: list[User],
    *,
    first: str = "2020-03..2020-04",
    measures=None,
    due_days: int = 15,
    lock_days: int = 45,
    **extra,
) -> Programme:
    return programmes.create_programme(
        convenor,
        {
            "title": "COVID-19 community response measures",
            "description": "Monthly figures.",
            "measures": measures or MEASURES,
            "first_period": first,
            "due_days": due_days,
            "lock_days": lock_days,
            **extra,
        },
        [m.organisation_id for m in members],
    )


def tagged_directory() -> dict:
    """A body with three linked member organisations (01 and 02 tagged North), an entry without an account
    tagged North, a tag no entry has, and another body with a tag of its own. Returns plain values."""
    from app.models import DirectoryTag

    convenor, members = network(3)
    body = convenor.organisation_id
    north = DirectoryTag(body_id=body, name="North", name_key="north")
    empty = DirectoryTag(body_id=body, name="Empty", name_key="empty")
    db.session.add_all([north, empty])
    entries = {
        e.organisation_id: e
        for e in db.session.scalars(sa.select(DirectoryEntry).where(DirectoryEntry.body_id == body))
    }
    for member in members[:2]:
        entries[member.organisation_id].tags = [north]
    db.session.add(
        DirectoryEntry(body_id=body, name="Unlinked Homes", name_key="unlinked homes", tags=[north], regions=[])
    )
    other_convenor, other_members = network(1, prefix="Elsewhere")
    db.session.add(DirectoryTag(body_id=other_convenor.organisation_id, name="Theirs", name_key="theirs"))
    db.session.flush()
    return {
        "convenor": convenor,
        "members": members,
        "other_convenor": other_convenor,
        "org_ids": [m.organisation_id for m in members],
        "other_org_ids": [m.organisation_id for m in other_members],
    }
