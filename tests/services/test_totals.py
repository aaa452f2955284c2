"""A bid's headline counts of invitations: organisations, not people, each in the state of its invitations."""

from __future__ import annotations

from datetime import timedelta

from app.infra import clock
from app.models import InvitationStatus
from app.services import totals
from tests.factories import BidFactory, InvitationFactory, OrganisationFactory


def test_invitations_count_organisations_once_and_addresses_without_one_each(ctx):
    bid = BidFactory()
    known, answered, declined = OrganisationFactory(), OrganisationFactory(), OrganisationFactory()
    # Two people at one known organisation, both still to answer: one organisation.
    InvitationFactory(bid=bid, organisation_id=known.id)
    InvitationFactory(bid=bid, organisation_id=known.id)
    # Two addresses not yet matched to an organisation: one each.
    InvitationFactory(bid=bid, email="a@example.org")
    InvitationFactory(bid=bid, email="b@example.org")
    InvitationFactory(bid=bid, email="late@example.org", expires_at=clock.now() - timedelta(minutes=1))
    InvitationFactory(bid=bid, organisation_id=answered.id, status=InvitationStatus.ACCEPTED)
    InvitationFactory(bid=bid, organisation_id=declined.id, status=InvitationStatus.DECLINED)
    InvitationFactory(bid=bid, email="gone@example.org", status=InvitationStatus.REVOKED)
    InvitationFactory(organisation_id=known.id)  # another bid's
    figures = totals.compute(bid)
    assert (figures.not_responded, figures.expired, figures.accepted, figures.declined) == (3, 1, 1, 1)
    assert figures.invited == 6
