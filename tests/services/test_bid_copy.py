"""Copying a bid: what is copied, whom the copy invites, refusals that save nothing, and 39 organisations again."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.infra import clock
from app.models import AuditEvent, Bid, BidStatus, Invitation, InvitationStatus, Organisation, PledgeStatus
from app.services import bid_copy, invitation_links, invitations
from app.services.errors import PermissionDenied, ValidationFailed
from tests.factories import BidFactory, ConvenorFactory, InvitationFactory, member_of, pledge_for

SOURCE = {
    "title": "Community Match Fund 2026",
    "funder_name": "Department for Communities",
    "scheme": "Community Match Fund",
    "summary": "Our case.",
    "terms": "Our terms.",
    "target_pence": 625_000_000,
    "target_homes": 1_100_000,
    "min_pledge_pence": 1_000_000,
    "min_total_pence": 500_000_000,
    "min_members": 10,
    "show_amounts": True,
    "grace_minutes": 30,
    "reminder_plan": [2880, 60],
}


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


@pytest.fixture
def source(ctx):
    bid = BidFactory(**SOURCE, status=BidStatus.CLOSED)
    pledged = member_of(bid, name="Pledged Homes")
    pledge_for(pledged, bid, status=PledgeStatus.CONFIRMED)
    withdrew = member_of(bid, name="Withdrew Homes")
    pledge_for(withdrew, bid, status=PledgeStatus.WITHDRAWN)
    member_of(bid, name="Joined Homes")
    InvitationFactory(bid=bid, organisation_name="Silent Homes", email="silent@silent.example")
    InvitationFactory(bid=bid, organisation_name="Declined Homes", status=InvitationStatus.DECLINED)
    InvitationFactory(bid=bid, organisation_name="Withdrawn Homes", status=InvitationStatus.REVOKED)
    db.session.commit()
    return bid


def test_the_copy_is_a_draft_with_everything_but_the_deadline(source):
    deadline = clock.now() + timedelta(days=60)
    copy, report = bid_copy.copy_bid(source.created_by, source, deadline=deadline)
    db.session.commit()
    assert report is None
    assert copy.status == BidStatus.DRAFT and copy.id != source.id
    assert copy.title == "Community Match Fund 2026 (copy)"
    assert copy.deadline == deadline
    for name in (*bid_copy.COPIED, "reminder_plan"):
        assert getattr(copy, name) == SOURCE[name], name
    actions = set(db.session.execute(sa.select(AuditEvent.bid_id, AuditEvent.action)))
    assert {(copy.id, "bid.created"), (copy.id, "bid.copied"), (source.id, "bid.copied_to")} <= actions
    assert _count(Invitation, Invitation.bid_id == copy.id) == 0


def test_a_long_title_stays_within_its_limit():
    assert bid_copy.copy_title("x" * 200) == "x" * 193 + " (copy)"


@pytest.mark.parametrize(
    ("invite", "invited"),
    [
        ("pledged", ["Pledged Homes"]),
        ("invited", ["Declined Homes", "Joined Homes", "Pledged Homes", "Silent Homes", "Withdrew Homes"]),
    ],
)
def test_the_copy_invites_those_who_pledged_or_everyone_invited(source, outbox, invite, invited):
    copy, report = bid_copy.copy_bid(
        source.created_by, source, deadline=clock.now() + timedelta(days=60), invite=invite
    )
    db.session.commit()
    assert not report.refused
    names = db.session.scalars(
        sa.select(Invitation.organisation_name)
        .where(Invitation.bid_id == copy.id)
        .order_by(Invitation.organisation_name)
    ).all()
    assert names == invited
    assert len(outbox) == len(invited)  # sent after the commit


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"deadline": None}, "deadline", "Enter the deadline"),
        ({"deadline": "soon"}, "deadline", "Enter the deadline"),
        ({"deadline": "past"}, "deadline", "must be in the future"),
        ({"title": ""}, "title", "Enter the title"),
        ({"title": "Two\nlines"}, "title", "must be on one line"),
        ({"invite": "friends"}, "invite", "Choose whom to invite"),
    ],
)
def test_a_refused_copy_saves_nothing(source, outbox, values, field, message):
    args = {"deadline": clock.now() + timedelta(days=60), "invite": "invited", **values}
    if args["deadline"] == "past":
        args["deadline"] = clock.now() - timedelta(minutes=1)
    bids_before, events_before = _count(Bid), _count(AuditEvent)
    with pytest.raises(ValidationFailed) as caught:
        bid_copy.copy_bid(source.created_by, source, **args)
    assert message in caught.value.errors[field][0]
    db.session.rollback()
    assert (_count(Bid), _count(AuditEvent)) == (bids_before, events_before)
    assert outbox == []


def test_only_the_bids_convenors_copy_it(source):
    member = member_of(source, name="Curious Homes")
    for who in (member, ConvenorFactory()):
        with pytest.raises(PermissionDenied):
            bid_copy.copy_bid(who, source, deadline=clock.now() + timedelta(days=60))


def test_inviting_39_organisations_to_a_copied_bid_sends_39_emails_each_link_works_none_reenters_its_profile(
    ctx, outbox
):
    source = BidFactory(status=BidStatus.CLOSED)
    members = [member_of(source, name=f"Landlord {i:02d} Homes") for i in range(39)]
    for user in members:
        user.organisation.identifier = f"GB-SHPE-L{user.organisation_id:04d}"
        user.organisation.homes_owned = 1_000 + user.organisation_id
        pledge_for(user, source)
    db.session.commit()
    profiles = {
        o.id: (o.name, o.identifier, o.homes_owned, o.regions) for o in db.session.scalars(sa.select(Organisation))
    }
    copy, report = bid_copy.copy_bid(
        source.created_by, source, deadline=clock.now() + timedelta(days=30), invite="pledged"
    )
    db.session.commit()
    assert len(report.accepted) == 39 and not report.refused
    assert sorted(m.to[0] for m in outbox) == sorted(u.email for u in members)
    by_address = {m.to[0]: re.search(r"/invitations/(\S+)", m.body).group(1) for m in outbox}
    for user in members:
        token = by_address[user.email]
        invitation = invitation_links.read_token(token)  # each link works
        assert invitation.bid_id == copy.id and invitation.organisation_id == user.organisation_id
        invitations.accept_existing_user(token, user)  # logged in: no profile to enter
    db.session.commit()
    accepted = db.session.scalars(sa.select(Invitation).where(Invitation.bid_id == copy.id)).all()
    assert {i.status for i in accepted} == {InvitationStatus.ACCEPTED}
    assert {i.organisation_id for i in accepted} == {u.organisation_id for u in members}
    after = {
        o.id: (o.name, o.identifier, o.homes_owned, o.regions) for o in db.session.scalars(sa.select(Organisation))
    }
    assert after == profiles  # no organisation made, none changed
