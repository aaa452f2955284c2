"""A bid's headline counts of invitations: organisations, not people, each in the state of its invitations."""

from __future__ import annotations

from datetime import timedelta

from app.infra import clock
from app.models import InvitationStatus, PledgeStatus
from app.services import totals
from tests.factories import BidFactory, InvitationFactory, OrganisationFactory, member_of, pledge_for


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


def test_an_organisation_counts_once_in_each_state_its_open_invitations_are_in(ctx):
    bid = BidFactory()
    both, lapsed = OrganisationFactory(), OrganisationFactory()
    past = clock.now() - timedelta(minutes=1)
    InvitationFactory(bid=bid, organisation_id=both.id)
    InvitationFactory(bid=bid, organisation_id=both.id, expires_at=past)
    InvitationFactory(bid=bid, organisation_id=lapsed.id, expires_at=past)
    InvitationFactory(bid=bid, organisation_id=lapsed.id, expires_at=past)
    figures = totals.compute(bid)
    assert (figures.not_responded, figures.expired, figures.accepted, figures.declined) == (1, 2, 0, 0)
    assert figures.invited == 3


def test_a_bid_with_no_invitations_or_pledges_has_every_count_at_zero(ctx):
    bid = BidFactory()
    other = BidFactory()
    pledge_for(member_of(other), other, status=PledgeStatus.CONFIRMED)
    figures = totals.compute(bid)
    counts = (figures.invited, figures.not_responded, figures.expired, figures.accepted, figures.declined)
    assert counts == (0, 0, 0, 0, 0)
    assert (figures.pledged_pence, figures.homes, figures.members_pledged, figures.confirmed_members) == (0, 0, 0, 0)


def test_the_pledge_figures_split_live_pledges_by_status_and_leave_out_withdrawn_ones(ctx):
    bid = BidFactory()
    pledge_for(member_of(bid), bid, amount_pence=10_000_00, homes=100, status=PledgeStatus.CONFIRMED)
    pledge_for(member_of(bid), bid, amount_pence=20_000_00, homes=200, status=PledgeStatus.CONFIRMED)
    pledge_for(member_of(bid), bid, amount_pence=4_000_00, homes=40, status=PledgeStatus.INDICATIVE)
    pledge_for(member_of(bid), bid, amount_pence=99_000_00, homes=990, status=PledgeStatus.WITHDRAWN)
    figures = totals.compute(bid)
    money = (figures.confirmed_pence, figures.indicative_pence, figures.pledged_pence)
    assert money == (30_000_00, 4_000_00, 34_000_00)
    assert (figures.members_pledged, figures.confirmed_members, figures.homes) == (3, 2, 340)
