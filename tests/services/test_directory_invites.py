"""Inviting from the directory: the preview of who is emailed and skipped, then the invitations themselves."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Invitation, InvitationStatus
from app.services import directory_edits, directory_invites, invitations
from app.services.directory import Filter
from app.services.errors import PermissionDenied, ValidationFailed
from tests.factories import BidFactory, ConvenorFactory
from tests.services.test_directory import joined


def test_thirty_nine_organisations_invited_again_accept_without_their_profile(ctx, outbox):
    first = BidFactory()
    convenor = first.created_by
    members = [joined(first, name=f"Landlord {i:02d}") for i in range(39)]
    second = BidFactory(created_by=convenor)
    preview = directory_invites.plan(convenor, second, Filter())
    assert len(preview.emailed) == 39 and preview.skipped == []
    outbox.clear()
    report = directory_invites.invite_entries(
        convenor, second, tag=None, entry_ids=[t.entry_id for t in preview.emailed]
    )
    assert len(report.accepted) == 39 and report.refused == []
    db.session.commit()  # the emails leave after the commit
    assert len(outbox) == 39
    sent = db.session.scalars(sa.select(Invitation).where(Invitation.bid_id == second.id)).all()
    assert {i.organisation_id for i in sent} == {m.organisation_id for m in members}  # bound: no profile asked
    by_email = {m.to[0]: m for m in outbox}
    for member in members:
        token = by_email[member.email].body.split("/invitations/")[1].split()[0]
        accepted = invitations.accept_existing_user(token, member)
        assert accepted.status == InvitationStatus.ACCEPTED
        assert accepted.organisation_id == member.organisation_id
    assert directory_invites.plan(convenor, second, Filter()).emailed == []


def test_preview_names_who_is_skipped_and_why(ctx, outbox):
    bid = BidFactory()
    convenor = bid.created_by
    directory_edits.add_organisation(convenor, {"name": "No Contact"})
    directory_edits.add_organisation(convenor, {"name": "Tagged"}, contact={"email": "t@x.example"}, tags=["Wales"])
    entry = directory_edits.add_organisation(convenor, {"name": "Two People"}, contact={"email": "one@x.example"})
    directory_edits.add_contact(convenor, entry, {"email": "two@x.example"})
    invitations.invite_many(convenor, bid, [(1, "Invited Already", "i@x.example")])
    preview = directory_invites.plan(convenor, bid, Filter(sort="added"))
    assert [(t.name, t.skipped) for t in preview.skipped] == [
        ("No Contact", "no contact"),
        ("Invited Already", "already invited to this bid"),
    ]
    assert [t.name for t in preview.emailed] == ["Tagged", "Two People"]
    assert len(preview.emailed[1].chosen) == 1
    assert len(directory_invites.plan(convenor, bid, Filter(), contacts="all").emailed[1].chosen) == 2
    assert [t.name for t in directory_invites.plan(convenor, bid, Filter(tag="Wales")).emailed] == ["Tagged"]
    report = directory_invites.invite_entries(convenor, bid, tag="wales")
    assert [r.email for r in report.accepted] == ["t@x.example"]


def test_only_the_bids_convenors_and_only_their_directory(ctx):
    bid = BidFactory()
    mine = directory_edits.add_organisation(bid.created_by, {"name": "Mine"}, contact={"email": "m@x.example"})
    other = ConvenorFactory()
    theirs = directory_edits.add_organisation(other, {"name": "Theirs"}, contact={"email": "t@x.example"})
    with pytest.raises(PermissionDenied):
        directory_invites.plan(other, bid, Filter())
    with pytest.raises(ValidationFailed, match="Check"):
        directory_invites.invite_contacts(bid.created_by, bid, [theirs.contacts[0].id])
    with pytest.raises(ValidationFailed):
        directory_invites.invite_entries(bid.created_by, bid, entry_ids=[theirs.id])
    with pytest.raises(ValidationFailed):
        directory_invites.invite_contacts(bid.created_by, bid, [])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0
    assert mine.id != theirs.id
