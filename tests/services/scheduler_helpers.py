"""Shared set-up for the scheduler tests: a bid with one invitation in every state, and email lookups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import Bid, EmailMessage, InvitationStatus, PledgeStatus, User
from tests.factories import (
    BidFactory,
    ConvenorFactory,
    InvitationFactory,
    UserFactory,
    member_of,
    pledge_for,
)

#: A Monday in March, before the clocks change: London time is UTC, which keeps the arithmetic plain.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Cast:
    bid: Bid
    convenors: list[User]
    waiting: object
    expired: object
    declined: object
    revoked: object
    no_pledge: User
    indicative: User
    confirmed: User
    withdrawn: User
    colleague: User  #: a second user at the no-pledge organisation


def make_cast(deadline: datetime | None = None, **bid_values) -> Cast:
    """A bid (deadline T0 + 10 days by default) with one invitation in each state. Committed."""
    convenor = ConvenorFactory(email="lead@convenor.example")
    second = ConvenorFactory(email="deputy@convenor.example", organisation=convenor.organisation)
    bid = BidFactory(created_by=convenor, deadline=deadline or T0 + timedelta(days=10), min_members=3, **bid_values)
    waiting = InvitationFactory(bid=bid, organisation_name="Waiting Homes", email="waiting@example.org")
    expired = InvitationFactory(
        bid=bid, organisation_name="Expired Homes", email="expired@example.org", expires_at=T0 + timedelta(days=1)
    )
    declined = InvitationFactory(
        bid=bid, organisation_name="Declined Homes", email="declined@example.org", status=InvitationStatus.DECLINED
    )
    revoked = InvitationFactory(
        bid=bid, organisation_name="Revoked Homes", email="revoked@example.org", status=InvitationStatus.REVOKED
    )
    no_pledge = member_of(bid, name="No Pledge Homes", email="nopledge@example.org")
    colleague = UserFactory(organisation=no_pledge.organisation, email="colleague@example.org")
    indicative = member_of(bid, name="Indicative Homes", email="indicative@example.org")
    pledge_for(indicative, bid, status=PledgeStatus.INDICATIVE, amount_pence=10_000_000)
    confirmed = member_of(bid, name="Confirmed Homes", email="confirmed@example.org")
    pledge_for(confirmed, bid, status=PledgeStatus.CONFIRMED, amount_pence=30_000_000)
    withdrawn = member_of(bid, name="Withdrawn Homes", email="withdrawn@example.org")
    pledge_for(withdrawn, bid, status=PledgeStatus.WITHDRAWN)
    db.session.commit()
    return Cast(
        bid,
        [convenor, second],
        waiting,
        expired,
        declined,
        revoked,
        no_pledge,
        indicative,
        confirmed,
        withdrawn,
        colleague,
    )


def emails(kind: str | None = None) -> list[EmailMessage]:
    """Queued email rows (sent or not), oldest first, optionally of one template kind."""
    db.session.expire_all()
    stmt = sa.select(EmailMessage).order_by(EmailMessage.id)
    if kind is not None:
        stmt = stmt.where(EmailMessage.kind == kind)
    return list(db.session.scalars(stmt))


def recipients(kind: str) -> list[str]:
    return sorted(m.to_address for m in emails(kind))
