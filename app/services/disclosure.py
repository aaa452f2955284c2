"""What a member of a bid that hides amounts may see of the consortium's money and homes.

The rule (docs/live.md, "Hidden amounts"): such a member sees their own organisation's figures as they are,
and the other organisations' only as a *released* state that moves when, since the previous release, at
least ``MIN_GROUP`` other organisations have changed each figure that moved (confirmed money, indicative
money, homes). So every step of the totals they can see is a sum of three or more other organisations'
changes, never one organisation's, whatever they pair it with (the feed's names, the members table, the
moment it moved). Figures by region are not shown to them at all: a region's figure moves by one member's
change when one member in it changes. Raises nothing: callers check access first.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import Bid, BidEvent, Pledge, User
from app.services import access, totals

#: The fewest other organisations whose changes a released step may combine.
MIN_GROUP = 3
LIVE = ("indicative", "confirmed")
#: The events that carry a pledge's figures after the change (``pledges._record``).
PLEDGE_KINDS = ("pledge.created", "pledge.amended", "pledge.confirmed", "pledge.reinstated", "pledge.withdrawn")
CONFIRMED, INDICATIVE, HOMES = range(3)


@dataclass
class Point:
    """The pledged-over-time series as this viewer may see it (same shape as ``live.Point``)."""

    at: datetime
    pledged_pence: int
    members: int


@dataclass
class Released:
    """The figures a hidden-amounts member sees, and the series they may be shown."""

    confirmed_pence: int = 0
    indicative_pence: int = 0
    homes: int = 0
    #: when the other organisations' figures last moved (None: not yet)
    released_at: datetime | None = None
    #: whether other organisations have changes not yet shown
    pending: bool = False
    points: list[Point] = field(default_factory=list)

    @property
    def pledged_pence(self) -> int:
        return self.confirmed_pence + self.indicative_pence


def hides_amounts_from(user: User | None, bid: Bid) -> bool:
    """True for a member of a bid that hides amounts (convenors, and every member when shown, see them)."""
    return not bid.show_amounts and not access.is_bid_convenor(user, bid)


def _figures(payload: dict | None) -> tuple[int, int, int]:
    payload = payload or {}
    if payload.get("status") not in LIVE:
        return (0, 0, 0)
    amount, homes = int(payload.get("amount_pence") or 0), int(payload.get("homes") or 0)
    return (amount, 0, homes) if payload["status"] == "confirmed" else (0, amount, homes)


def released(bid_id: int, organisation_id: int | None, *, min_group: int = MIN_GROUP) -> Released:
    """Replay the bid's pledge events (one query) and return what the organisation's members may see.

    The events, not the revisions: their ids follow commit order (``audit.emit``), so the history replayed
    never changes once seen, and every page, poll, stream and API call of the organisation sees the same
    sequence of released states; reloading or polling faster reveals nothing more.
    """
    rows = db.session.execute(
        sa.select(BidEvent.organisation_id, BidEvent.created_at, BidEvent.payload)
        .where(BidEvent.bid_id == bid_id, BidEvent.kind.in_(PLEDGE_KINDS))
        .order_by(BidEvent.id)
    )
    current: dict[int, tuple[int, int, int]] = {}  # organisation → its figures now (one pledge per bid)
    shown: dict[int, tuple[int, int, int]] = {}  # organisation → its figures at the last release
    dirty: tuple[set[int], set[int], set[int]] = (set(), set(), set())
    others = [0, 0, 0]  # the other organisations' figures at the last release
    result = Released()
    members = 0  # organisations with a live pledge, kept as the replay goes (not recounted per event)
    for org, at, payload in rows:
        old = current.get(org, (0, 0, 0))
        figures = current[org] = _figures(payload)
        members += bool(figures[CONFIRMED] or figures[INDICATIVE]) - bool(old[CONFIRMED] or old[INDICATIVE])
        if org != organisation_id:
            before = shown.get(org, (0, 0, 0))
            for k in range(3):
                (dirty[k].add if figures[k] != before[k] else dirty[k].discard)(org)
            if any(dirty) and all(not d or len(d) >= min_group for d in dirty):
                shown = dict(current)
                others = [sum(v[k] for o, v in current.items() if o != organisation_id) for k in range(3)]
                for d in dirty:
                    d.clear()
                result.released_at = at
        own = current.get(organisation_id, (0, 0, 0))
        point = Point(at, others[CONFIRMED] + others[INDICATIVE] + own[CONFIRMED] + own[INDICATIVE], members)
        if result.points and result.points[-1].at == at:
            result.points[-1] = point
        else:
            result.points.append(point)
    own = _own_figures(bid_id, organisation_id)
    result.confirmed_pence = others[CONFIRMED] + own[CONFIRMED]
    result.indicative_pence = others[INDICATIVE] + own[INDICATIVE]
    result.homes = others[HOMES] + own[HOMES]
    result.pending = any(dirty)
    return result


def _own_figures(bid_id: int, organisation_id: int | None) -> tuple[int, int, int]:
    """The organisation's own pledge as it is (from the pledge itself: it is theirs to see in full)."""
    if organisation_id is None:
        return (0, 0, 0)
    row = db.session.execute(
        sa.select(Pledge.amount_pence, Pledge.homes, Pledge.status).where(
            Pledge.bid_id == bid_id, Pledge.organisation_id == organisation_id
        )
    ).first()
    if row is None:
        return (0, 0, 0)
    return _figures({"amount_pence": row[0], "homes": row[1], "status": str(row[2])})


def as_released(bid: Bid, figures: totals.Totals, shown: Released) -> totals.Totals:
    """The totals with the money and homes replaced by the released figures and no figures by region."""
    out = dataclasses.replace(
        figures,
        pledged_pence=shown.pledged_pence,
        confirmed_pence=shown.confirmed_pence,
        indicative_pence=shown.indicative_pence,
        homes=shown.homes,
        regions=[dataclasses.replace(r, amount_pence=0, homes=0) for r in figures.regions],
        released_at=shown.released_at,
        withheld=True,
    )
    out.thresholds = totals.thresholds(bid, out)
    return out


def totals_for(user: User | None, bid: Bid) -> totals.Totals:
    """The bid's totals as this viewer may see them (pages, the bid list and the API use this)."""
    figures = totals.compute(bid)
    if not hides_amounts_from(user, bid):
        return figures
    return as_released(bid, figures, released(bid.id, user.organisation_id if user else None))
