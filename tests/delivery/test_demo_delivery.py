"""The delivery demo: through the seeding path, a won bid of the 39 demo members with grants that export."""

from __future__ import annotations

import sqlalchemy as sa

from app.demo import seed_demo
from app.demo_delivery import seed_delivery
from app.extensions import db
from app.infra import clock
from app.models import AuditEvent, Bid, BidStatus, Grant
from app.services import delivery, giving360


def test_the_delivery_demo_is_a_won_bid_whose_grants_all_publish(ctx):
    seed_demo()
    (line,) = seed_delivery(120)
    db.session.commit()
    bid = db.session.scalars(sa.select(Bid).where(Bid.status == BidStatus.WON)).one()
    assert "120 grants by 39 members" in line
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Grant)) == 120
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "grant.created")) == 120
    result = giving360.export(bid.created_by, bid, now=clock.now())
    assert result.problems == [] and len(result.grants) == 120
    figures = delivery.summary(bid.created_by, bid)
    assert figures["totals"]["members_with_grants"] == 39 and figures["totals"]["grants"] == 120


def test_the_command_needs_the_demo_first(runner):
    result = runner.invoke(args=["demo", "delivery"])
    assert result.exit_code != 0 and "Load the demo first" in result.output
