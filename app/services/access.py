"""Who may see and change what. Every view, the API and the streams ask here."""

from __future__ import annotations

import functools
from collections.abc import Collection

import sqlalchemy as sa

from app.extensions import db
from app.infra import facts
from app.models import Bid, BidStatus, Invitation, InvitationStatus, User
from app.services.errors import NotFound


def is_bid_convenor(user: User | None, bid: Bid) -> bool:
    """A convenor of the convening body that owns the bid."""
    return bool(user and user.is_authenticated and user.is_convenor and user.organisation_id == bid.organisation_id)


def is_bid_member(user: User | None, bid: Bid, *, joined: Collection[int] | None = None) -> bool:
    """A user whose organisation accepted an invitation to the bid (``joined``: those organisations' ids,
    already read with ``joined_organisations``, for checking many users at once)."""
    if not _could_be_member(user):
        return False
    if joined is not None:
        return user.organisation_id in joined
    return member_organisation_joined(bid.id, user.organisation_id)


def _could_be_member(user: User | None) -> bool:
    """Signed in, and of a member organisation (a convening body's people never pledge)."""
    return bool(user and user.is_authenticated and not user.is_convenor)


def joined_organisations(bid_id: int, organisation_ids: Collection[int]) -> set[int]:
    """Which of the organisations accepted an invitation to the bid, in one query."""
    if not organisation_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(Invitation.organisation_id).where(
                Invitation.bid_id == bid_id,
                Invitation.organisation_id.in_(set(organisation_ids)),
                Invitation.status == InvitationStatus.ACCEPTED,
            )
        )
    )


def member_organisation_joined(bid_id: int, organisation_id: int) -> bool:
    """Whether the organisation accepted an invitation to the bid; read once per transaction when it has
    (the view's check and the service's then cost one query). A "no" is asked again: accepting may follow."""

    def load() -> bool:
        found = db.session.scalar(_joined_query(), {"bid_id": bid_id, "organisation_id": organisation_id})
        return found is not None

    return facts.remembered(db.session(), _joined_key(bid_id, organisation_id), load)


def _joined_key(bid_id: int, organisation_id: int) -> tuple:
    """The transaction's fact that the organisation joined the bid (``facts``)."""
    return ("joined", bid_id, organisation_id)


def _accepted_by(bid_id) -> sa.ColumnElement[bool]:
    """An invitation to ``bid_id`` (a value or a column) that the bound ``organisation_id`` accepted."""
    return sa.and_(
        Invitation.bid_id == bid_id,
        Invitation.organisation_id == sa.bindparam("organisation_id"),
        Invitation.status == InvitationStatus.ACCEPTED,
    )


@functools.cache
def _joined_query() -> sa.Select:
    """An accepted invitation of the organisation to the bid (built once, the two ids as parameters)."""
    return sa.select(Invitation.id).where(_accepted_by(sa.bindparam("bid_id"))).limit(1)


def can_view_bid(user: User | None, bid: Bid, *, joined: Collection[int] | None = None) -> bool:
    if is_bid_convenor(user, bid):
        return True
    return bid.status != BidStatus.DRAFT and is_bid_member(user, bid, joined=joined)


def get_bid_for_viewer(user: User | None, bid_id: int) -> Bid:
    """The bid, or NotFound when it does not exist or the user may not know it does."""
    bid = db.session.get(Bid, bid_id)
    if bid is None or not can_view_bid(user, bid):
        raise NotFound("No such bid.")
    return bid


def get_bid_for_convenor(user: User | None, bid_id: int) -> Bid:
    """The bid, for its own convenors only; NotFound for everyone else (members included)."""
    bid = db.session.get(Bid, bid_id)
    if bid is None or not is_bid_convenor(user, bid):
        raise NotFound("No such bid.")
    return bid


def get_bid_for_member(user: User | None, bid_id: int) -> Bid:
    """The bid, for users of an organisation that joined it.

    The bid and whether the organisation joined it are read in one statement; a "yes" is kept for the rest of
    the transaction, as ``member_organisation_joined`` keeps it, so the service's own check asks nothing more.
    """
    if not _could_be_member(user):
        raise NotFound("No such bid.")
    found = db.session.execute(_member_bid_query(), {"bid_id": bid_id, "organisation_id": user.organisation_id}).first()
    if found is None:
        raise NotFound("No such bid.")
    bid, joined = found
    if joined:
        facts.remember(db.session(), _joined_key(bid.id, user.organisation_id), True)
    if bid.status == BidStatus.DRAFT or not joined:
        raise NotFound("No such bid.")
    return bid


@functools.cache
def _member_bid_query() -> sa.Select:
    """A bid, and whether an organisation accepted an invitation to it (built once, the two ids as parameters)."""
    return sa.select(Bid, sa.exists().where(_accepted_by(Bid.id))).where(Bid.id == sa.bindparam("bid_id"))


def visible_bids(user: User) -> list[Bid]:
    """The bids the user can see, newest deadline first."""
    if user.is_convenor:
        stmt = sa.select(Bid).where(Bid.organisation_id == user.organisation_id)
    else:
        joined = sa.select(Invitation.bid_id).where(
            Invitation.organisation_id == user.organisation_id, Invitation.status == InvitationStatus.ACCEPTED
        )
        stmt = sa.select(Bid).where(Bid.id.in_(joined), Bid.status != BidStatus.DRAFT)
    return list(db.session.scalars(stmt.order_by(Bid.deadline.desc(), Bid.id.desc())))
