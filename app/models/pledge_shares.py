"""Each live pledge's share of its bid's money and homes per region, kept beside the pledge for the regional split.

A pledge names the regions it covers; the bid's regional figures split each live pledge evenly over the known
regions it names, the first ones taking the pennies (and homes) left over (``split_evenly``). Working that out
from every pledge's region list on every dashboard request grew with the number of members, so the shares are
stored: one row per live pledge and region, rewritten in the same flush as any change to the pledge's amount,
homes, regions or status (``install``: every ORM write of a pledge, whichever service makes it), and none for a
withdrawn pledge. The regional split is then one GROUP BY over a covering index (``totals.compute``).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.extensions import db
from app.models.pledge import LIVE_STATUSES, Pledge
from app.money import split_evenly
from app.regions import REGIONS

#: the pledge's columns its shares follow from
SHARED = ("amount_pence", "homes", "regions", "status")


class PledgeRegionShare(db.Model):
    """A live pledge's share of money and homes in one region."""

    __tablename__ = "pledge_region_shares"

    pledge_id: Mapped[int] = mapped_column(sa.ForeignKey("pledges.id", ondelete="CASCADE"), primary_key=True)
    region: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bids.id"))
    amount_pence: Mapped[int] = mapped_column(sa.BigInteger)
    homes: Mapped[int] = mapped_column(sa.Integer)

    __table_args__ = (sa.Index("ix_pledge_region_shares_bid", "bid_id", "region", "amount_pence", "homes"),)


_TABLE = PledgeRegionShare.__table__
#: built once: a pledge write runs them on every change to its figures
_DELETE = sa.delete(_TABLE).where(_TABLE.c.pledge_id.in_(sa.bindparam("ids", expanding=True)))
_INSERT = sa.insert(_TABLE)


def shares_of(pledge_id: int, bid_id: int, values: dict) -> list[dict]:
    """The share rows of a pledge with these values (``Pledge.snapshot``'s keys): none unless it is live."""
    if values.get("status") not in LIVE_STATUSES:
        return []
    codes = list(dict.fromkeys(c for c in values.get("regions") or [] if c in REGIONS))
    amounts = split_evenly(int(values.get("amount_pence") or 0), len(codes))
    homes = split_evenly(int(values.get("homes") or 0), len(codes))
    return [
        {"pledge_id": pledge_id, "bid_id": bid_id, "region": code, "amount_pence": a, "homes": h}
        for code, a, h in zip(codes, amounts, homes, strict=True)
    ]


def _changed(pledge: Pledge) -> bool:
    state = sa.inspect(pledge)
    return any(state.attrs[name].history.has_changes() for name in SHARED)


def install(session_class) -> None:
    """Rewrite the shares of every pledge a flush inserted or changed, in that flush (once per session class)."""
    if getattr(session_class, "_pledge_shares_installed", False):
        return
    session_class._pledge_shares_installed = True

    @event.listens_for(session_class, "after_flush")
    def _rewrite(session: Session, flush_context) -> None:
        pledges = [p for p in session.new if isinstance(p, Pledge)]
        pledges += [p for p in session.dirty if isinstance(p, Pledge) and _changed(p)]
        if not pledges:
            return
        connection = session.connection()
        old = [p.id for p in pledges if p not in session.new]
        if old:
            connection.execute(_DELETE, {"ids": old})
        rows = [row for p in pledges for row in shares_of(p.id, p.bid_id, p.snapshot())]
        if rows:
            connection.execute(_INSERT, rows)
