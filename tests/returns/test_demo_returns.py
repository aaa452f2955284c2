"""The demo's returns programme: the ready-made measures, six periods (the first combining two months), most of
the 39 members reporting, some late, two never, one queried, the latest still coming in; so the dashboard, the
chart and the summary show real month-on-month figures after ``make run``."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from app.demo import CONVENOR_EMAIL, MEMBER_EMAIL, seed_demo
from app.extensions import db
from app.infra import clock
from app.models import ImpactReturn, Programme, ReturnStatus
from app.services.returns import programmes, totals

NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)  # before 15 December: November's returns are still coming in


def test_the_demo_programme_has_real_month_on_month_figures(ctx):
    with clock.frozen(NOW):
        lines = seed_demo()
        programme = db.session.scalar(sa.select(Programme))
        rows = totals.series(programme)
    assert lines[-1].startswith("  Impact returns: “Community response measures”, 6 periods from 2026-05..2026-06")
    assert [m.code for m in programme.current_set.measures] == [m["code"] for m in programmes.TEMPLATE]
    assert [r["period"] for r in rows] == ["2026-05..2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    assert all(r["expected"] == 39 for r in rows)
    done, latest = rows[:-1], rows[-1]
    assert all(30 <= r["received"] <= 37 and r["missing"] >= 2 for r in done)  # most, never all
    assert sum(r["late"] for r in rows) >= 5
    assert 0 < latest["received"] < done[-1]["received"]  # the latest is still coming in
    calls = [r["measures"]["WELFARE_CALLS"] for r in rows]
    assert all(c["total"] > 0 for c in calls) and all(c["change"] is not None for c in calls[1:])
    assert all(c["like_for_like_change"] is not None and c["like_for_like_contributors"] >= 20 for c in calls[1:])
    assert calls[-1]["running_total"] == sum(c["total"] for c in calls)
    arrears = rows[-1]["measures"]["ARREARS_RISK"]
    assert arrears["kind"] == "stock" and arrears["running_total"] is None
    assert latest["share_of_sector"] is not None and calls[-1]["sector_estimate"] is not None
    statuses = set(db.session.scalars(sa.select(ImpactReturn.status)))
    assert ReturnStatus.QUERIED in statuses and ReturnStatus.SUBMITTED in statuses
    member = db.session.scalar(sa.select(programmes.User).where(programmes.User.email == MEMBER_EMAIL))
    convenor = db.session.scalar(sa.select(programmes.User).where(programmes.User.email == CONVENOR_EMAIL))
    assert programmes.is_participant(member, programme) and programmes.is_convenor(convenor, programme)
