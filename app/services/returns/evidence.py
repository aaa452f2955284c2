"""Evidence for bids: a convenor attaches a programme and a range of its periods to a bid of the same body; the
bid pack then carries those figures (members' view, small numbers suppressed), frozen in its version.

Raises ValidationFailed, NotFound and PermissionDenied.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.infra import clock
from app.models import COUNTED, Bid, BidEvidence, ImpactReturn, Programme, User
from app.pdf.data import PackEvidence, PackEvidenceMeasure
from app.services import audit, audit_kinds
from app.services.access import is_bid_convenor
from app.services.errors import NotFound, PermissionDenied, require
from app.services.returns import totals
from app.services.returns.programmes import is_convenor
from app.units import format_figure


def attach_evidence(actor: User, programme: Programme, bid_id: int | None, from_key: str, to_key: str) -> BidEvidence:
    """Attach (or replace) the programme's figures from ``from_key`` to ``to_key`` as the bid's evidence."""
    if not is_convenor(actor, programme):
        raise PermissionDenied("Only the convening body's convenors can attach evidence.")
    bid = db.session.get(Bid, bid_id) if bid_id else None
    if bid is None or not is_bid_convenor(actor, bid):
        require({"bid_id": ["Choose one of your body's bids."]})
    keys = [p.key for p in programme.periods]
    if from_key not in keys or to_key not in keys or keys.index(from_key) > keys.index(to_key):
        require({"from_period": ["Choose a range of the programme's periods, first to last."]})
    found = db.session.scalar(sa.select(BidEvidence).where(BidEvidence.bid_id == bid.id))
    before = {"programme_id": found.programme_id, "from": found.from_period, "to": found.to_period} if found else None
    if found is None:
        found = BidEvidence(bid_id=bid.id)
        db.session.add(found)
    found.programme_id, found.from_period, found.to_period = programme.id, from_key, to_key
    found.attached_by_id, found.attached_at = actor.id, clock.now()
    db.session.flush()
    audit.record(
        "bid.evidence_attached",
        actor=actor,
        bid=bid,
        subject=found,
        before=before,
        after={"programme_id": programme.id, "from": from_key, "to": to_key},
    )
    return found


def evidence_for(bid: Bid) -> BidEvidence | None:
    return db.session.scalar(sa.select(BidEvidence).where(BidEvidence.bid_id == bid.id))


def for_pack(bid: Bid, now: datetime) -> PackEvidence | None:
    """The figures a new pack version freezes, or None when the bid has no evidence attached."""
    attached = evidence_for(bid)
    if attached is None:
        return None
    programme = attached.programme
    rows = totals.for_members(totals.series(programme))
    keys = [r["period"] for r in rows]
    if attached.from_period not in keys or attached.to_period not in keys:
        raise NotFound("The attached periods no longer exist.")
    rows = rows[keys.index(attached.from_period) : keys.index(attached.to_period) + 1]
    chosen = {r["period"] for r in rows}
    contributed = {o for p in programme.periods if p.key in chosen for o in _received(p.id)}
    codes = list(dict.fromkeys(code for r in rows for code in r["measures"]))
    measures = []
    for code in codes:
        cells = [(r["period"], r["measures"].get(code)) for r in rows if code in r["measures"]]
        first = cells[-1][1]
        measures.append(
            PackEvidenceMeasure(
                label=first["label"],
                kind=first["kind"],
                periods=tuple(p for p, _ in cells),
                totals=tuple(
                    "fewer than 3" if c["suppressed"] else format_figure(c["unit"], c["total"]) for _, c in cells
                ),
                values=tuple(c["total"] or 0 for _, c in cells),
                contributors=tuple(c["contributors"] for _, c in cells),
            )
        )
    span = (
        attached.from_period
        if attached.from_period == attached.to_period
        else (f"{attached.from_period} to {attached.to_period}")
    )
    return PackEvidence(programme.title, span, len(contributed), now, tuple(measures))


def _received(period_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(ImpactReturn.organisation_id).where(
                ImpactReturn.period_id == period_id, ImpactReturn.status.in_(COUNTED)
            )
        )
    )


audit_kinds.declare(
    "bid.evidence_attached",
    lambda e: f"{e.actor} attached impact-return evidence ({e.after.get('from')} to {e.after.get('to')}) to the bid.",
    title="Evidence attached",
)
