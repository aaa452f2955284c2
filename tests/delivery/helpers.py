"""Test data for the after-the-bid area: a submitted or won bid with members, pledges and grants."""

from __future__ import annotations

from datetime import date

from app.models import Bid, BidStatus, User
from app.services import grants, outcomes
from tests.factories import BidFactory, member_of, pledge_for

WON = {
    "result": "won",
    "amount_awarded_pence": 500_000_000,
    "award_date": date(2026, 12, 1),
    "grant_reference": "CMF-2026-0042",
    "conditions": "Spend on community groups.",
    "spend_by": date(2027, 12, 31),
}

GRANT = {
    "recipient_name": "Ancoats Community Garden",
    "amount_pence": 500_000,
    "award_date": date(2027, 1, 15),
    "title": "Garden tools and seeds",
    "description": "A year of growing sessions for local families.",
    "planned_start": date(2027, 2, 1),
    "planned_end": date(2027, 12, 31),
    "location_name": "Manchester",
    "location_gss": "E08000003",
    "region": "NW",
}


def submitted_bid(members: int = 3) -> tuple[Bid, list[User]]:
    """A submitted bid with ``members`` member organisations that each pledged £250,000."""
    bid = BidFactory(status=BidStatus.SUBMITTED)
    users = []
    for i in range(members):
        user = member_of(bid, name=f"Delivery Homes {i + 1}")
        user.organisation.identifier = f"GB-SHPE-L{1000 + i}"
        pledge_for(user, bid)
        users.append(user)
    return bid, users


def won_bid(members: int = 3) -> tuple[Bid, list[User]]:
    bid, users = submitted_bid(members)
    outcomes.record_outcome(bid.created_by, bid, WON)
    return bid, users


def grant_by(user: User, bid: Bid, **values):
    return grants.create_grant(user, bid, {**GRANT, **values})
