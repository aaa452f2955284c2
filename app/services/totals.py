"""A bid's figures: totals, thresholds, regions and the members table, in a fixed number of queries."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.infra import clock
from app.models import Bid, Invitation, InvitationStatus, Letter, Organisation, Pledge, PledgeStatus
from app.models.pledge import LIVE_STATUSES
from app.models.pledge_shares import PledgeRegionShare
from app.money import format_pence
from app.regions import REGIONS


@dataclass
class RegionTotal:
    code: str
    name: str
    amount_pence: int = 0
    homes: int = 0
    members: int = 0


@dataclass
class Threshold:
    label: str
    required: str
    actual: str
    met: bool


@dataclass
class Totals:
    """The headline figures of a bid at one moment."""

    as_of: datetime
    pledged_pence: int = 0
    confirmed_pence: int = 0
    indicative_pence: int = 0
    homes: int = 0
    members_pledged: int = 0
    confirmed_members: int = 0
    invited: int = 0  #: organisations invited (not revoked)
    accepted: int = 0
    declined: int = 0
    not_responded: int = 0
    expired: int = 0
    target_pence: int = 0
    target_homes: int = 0
    regions: list[RegionTotal] = field(default_factory=list)
    thresholds: list[Threshold] = field(default_factory=list)
    #: True when the money and homes are what a hidden-amounts member may see (``disclosure.as_released``)
    withheld: bool = False
    #: with ``withheld``: when the other organisations' figures last moved (None: not yet)
    released_at: datetime | None = None

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.pledged_pence / self.target_pence)) if self.target_pence else 0

    @property
    def percent_exact(self) -> float:
        return 100 * self.pledged_pence / self.target_pence if self.target_pence else 0.0


def compute(bid: Bid) -> Totals:
    """Totals for the bid in three queries, whatever the number of members."""
    now = clock.now()
    totals = Totals(as_of=now, target_pence=bid.target_pence, target_homes=bid.target_homes)
    pledges, invitations, regions = _statements()
    for status, count, amount, homes in db.session.execute(pledges, {"bid_id": bid.id}):
        totals.pledged_pence += int(amount)
        totals.homes += int(homes)
        totals.members_pledged += count
        if status == PledgeStatus.CONFIRMED:
            totals.confirmed_pence += int(amount)
            totals.confirmed_members += count
        else:
            totals.indicative_pence += int(amount)

    for status, is_expired, count in db.session.execute(invitations, {"bid_id": bid.id, "now": now}):
        if status == InvitationStatus.REVOKED:
            continue
        totals.invited += count
        if status == InvitationStatus.ACCEPTED:
            totals.accepted += count
        elif status == InvitationStatus.DECLINED:
            totals.declined += count
        elif is_expired:
            totals.expired += count
        else:
            totals.not_responded += count

    by_code = {code: RegionTotal(code, name) for code, name in REGIONS.items()}
    for code, amount, homes, members in db.session.execute(regions, {"bid_id": bid.id}):
        by_code[code].amount_pence, by_code[code].homes, by_code[code].members = int(amount), int(homes), members
    totals.regions = list(by_code.values())
    totals.thresholds = thresholds(bid, totals)
    return totals


@functools.cache
def _statements() -> tuple[sa.Select, sa.Select, sa.Select]:
    """``compute``'s three statements, built once with the bid (and the moment) as parameters, so that SQLAlchemy
    keeps their cache keys: the live pledges by status; the invitations by status and whether they have expired
    (a status with none may come back with a count of 0); the regional split."""
    bid_id = sa.bindparam("bid_id")
    # One aggregate per live status, joined with UNION ALL: each reads ``ix_pledges_bid_amount`` alone, whereas
    # grouping by status (not that index's order) sorted every pledge of the bid in a temporary B-tree first,
    # which was most of the statement's cost at thousands of members.
    pledges = sa.union_all(
        *(
            sa.select(
                sa.literal(str(status)),
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(Pledge.amount_pence), 0),
                sa.func.coalesce(sa.func.sum(Pledge.homes), 0),
            ).where(Pledge.bid_id == bid_id, Pledge.status == status)
            for status in LIVE_STATUSES
        )
    )
    # Organisations, not people: several invitations may reach one organisation (one not yet known to the
    # directory counts once per address: a bid invites an address once, so each such row is one). Read from
    # ``ix_invitations_bid_status`` alone: the answered and withdrawn ones grouped by status in the index's
    # order, and the open ones (expired or not) in two aggregates of their own, so that no grouping sorts the
    # bid's invitations first.
    organisations = (
        sa.func.count(sa.distinct(Invitation.organisation_id))
        + sa.func.count()
        - sa.func.count(Invitation.organisation_id)
    )
    now, of_bid, sent = sa.bindparam("now"), Invitation.bid_id == bid_id, Invitation.status == InvitationStatus.SENT
    invitations = sa.union_all(
        sa.select(Invitation.status, sa.literal(False), organisations)
        .where(of_bid, Invitation.status != InvitationStatus.SENT)
        .group_by(Invitation.status),
        sa.select(sa.literal(str(InvitationStatus.SENT)), sa.literal(True), organisations).where(
            of_bid, sent, Invitation.expires_at <= now
        ),
        sa.select(sa.literal(str(InvitationStatus.SENT)), sa.literal(False), organisations).where(
            of_bid, sent, Invitation.expires_at > now
        ),
    )
    # Money, homes and organisations per region: each live pledge split evenly over its known regions
    # (``split_evenly``: the first regions it names take the pennies left over), as stored with the pledge
    # (``PledgeRegionShare``), summed in one GROUP BY over a covering index.
    share = PledgeRegionShare
    regions = (
        sa.select(
            share.region,
            sa.func.coalesce(sa.func.sum(share.amount_pence), 0),
            sa.func.coalesce(sa.func.sum(share.homes), 0),
            sa.func.count(),
        )
        .where(share.bid_id == bid_id)
        .group_by(share.region)
    )
    return pledges, invitations, regions


def thresholds(bid: Bid, totals: Totals) -> list[Threshold]:
    rows = []
    if bid.min_total_pence:
        rows.append(
            Threshold(
                "Minimum total match funding",
                format_pence(bid.min_total_pence),
                format_pence(totals.pledged_pence),
                totals.pledged_pence >= bid.min_total_pence,
            )
        )
    if bid.min_members:
        rows.append(
            Threshold(
                "Minimum number of member organisations",
                f"{bid.min_members:,}",
                f"{totals.members_pledged:,}",
                totals.members_pledged >= bid.min_members,
            )
        )
    return rows


@dataclass
class MemberRow:
    pledge_id: int
    organisation_id: int
    organisation_name: str
    identifier: str | None
    amount_pence: int
    homes: int
    regions: list[str]
    status: str
    statement: str
    in_grace: bool
    created_at: datetime
    updated_at: datetime
    has_letter: bool


def member_rows(bid: Bid, *, organisation_id: int | None = None) -> list[MemberRow]:
    """Live pledges with their organisations, largest first, in one query (one organisation's row, if given).

    Plain columns rather than Pledge objects: building and tracking thousands of ORM objects for a
    read-only table was most of the cost of a large dashboard.
    """
    rows = db.session.execute(
        member_columns()
        .join(Organisation, Organisation.id == Pledge.organisation_id)
        .where(Pledge.bid_id == bid.id, Pledge.status.in_(LIVE_STATUSES))
        .where(sa.true() if organisation_id is None else Pledge.organisation_id == organisation_id)
        .order_by(Pledge.amount_pence.desc(), Organisation.name)
    )
    return [member_row(r) for r in rows]


def has_current_letter():
    """Whether the pledge of the row has a current letter (a correlated EXISTS, for member queries)."""
    return sa.select(Letter.id).where(Letter.pledge_id == Pledge.id, Letter.superseded_at.is_(None)).exists()


def member_columns():
    """The columns of a ``MemberRow``, to select from pledges joined to their organisations."""
    return sa.select(
        Pledge.id,
        Pledge.organisation_id,
        Organisation.name,
        Organisation.identifier,
        Pledge.amount_pence,
        Pledge.homes,
        Pledge.regions,
        Pledge.status,
        Pledge.statement,
        Pledge.in_grace,
        Pledge.created_at,
        Pledge.updated_at,
        has_current_letter(),
    )


def member_row(r) -> MemberRow:
    """A ``MemberRow`` from a row of ``member_columns``."""
    return MemberRow(
        r[0], r[1], r[2], r[3], r[4], r[5], list(r[6] or []), str(r[7]), r[8], r[9], r[10], r[11], bool(r[12])
    )


#: how many of the organisations yet to pledge the dashboard names (the invitations page lists them all)
WAITING_SHOWN = 20


@dataclass
class Waiting:
    """The first ``WAITING_SHOWN`` organisations yet to pledge, by name, and how many there are in all."""

    rows: list[Invitation]
    total: int

    def __iter__(self):
        return iter(self.rows)

    def __bool__(self) -> bool:
        return self.total > 0

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


def not_yet_pledged(bid: Bid, *, limit: int = WAITING_SHOWN) -> Waiting:
    """Invitations still open or accepted whose organisation has no live pledge: the first ``limit`` by name and
    the number of them all (``limit`` at least 1), in one query whatever their number."""
    pledged = sa.select(Pledge.organisation_id).where(Pledge.bid_id == bid.id, Pledge.status.in_(LIVE_STATUSES))
    rows = db.session.execute(
        sa.select(Invitation, sa.func.count().over())
        .where(
            Invitation.bid_id == bid.id,
            Invitation.status.in_([InvitationStatus.SENT, InvitationStatus.ACCEPTED]),
            sa.or_(Invitation.organisation_id.is_(None), Invitation.organisation_id.not_in(pledged)),
        )
        .order_by(Invitation.organisation_name, Invitation.id)
        .limit(limit)
    ).all()
    return Waiting([inv for inv, _ in rows], rows[0][1] if rows else 0)
