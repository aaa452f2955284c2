"""Demo data for impact returns: the demo body's monthly programme on the ready-made template's measures, run
for the last few months by the same members, so that the dashboard, the charts, the like-for-like change and the
summary report show real month-on-month figures.

Everything goes through the services (programme set-up, each return saved and submitted at its moment, the
convenor's queries), as a convenor and the members would have done it. The first period combines two months, as
the spring 2020 returns did; most members report each month, some late, two never, one is queried and has not
answered yet, and the latest period is still coming in.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.infra import clock
from app.models import ImpactReturn, Programme, ReturnStatus, User
from app.services.returns import periods, programmes, review
from app.services.returns.returns import save_return

#: months the demo's programme has run (the first period combines its first two)
MONTHS = 7
NEVER = 2  #: members that never send a return
STORIES = [
    "Calls are down as residents settle, but the ones we make now find deeper money worries.",
    "We moved two housing officers onto the food bank rota this month; demand is still rising.",
    "The hardship fund ran out in the third week; we topped it up from our community budget.",
    "More residents asked for help with energy bills than with rent for the first time.",
]


def _month_back(today: date, n: int) -> date:
    month = date(today.year, today.month, 1)
    for _ in range(n):
        month = date(month.year - (month.month == 1), 12 if month.month == 1 else month.month - 1, 1)
    return month


def _figures(homes: int, n: int, rng: random.Random) -> dict[str, int | None]:
    """One organisation's month: scaled by its homes, easing as the months go on; stocks are month-end levels."""
    ease = max(0.55, 1 - 0.07 * n)
    per = homes / 1000
    return {
        "WELFARE_CALLS": round(per * rng.uniform(18, 30) * ease),
        "ADVICE": round(per * rng.uniform(4, 9) * ease),
        "FIN_SUPPORT": round(per * rng.uniform(900, 2400) * ease) * 100,  # pounds → pence
        "FOOD_SUPPORT": round(per * rng.uniform(2, 6) * ease),
        "REPEAT_SUPPORT": round(per * rng.uniform(0.5, 2)) if rng.random() < 0.7 else None,
        "STAFF_REDEPLOYED": max(1, round(per * rng.uniform(0.1, 0.4))) if rng.random() < 0.8 else None,
        "ARREARS_RISK": round(per * rng.uniform(12, 20) * (1 + 0.04 * n)),
        "COMMUNITY_GRANTS": round(per * rng.uniform(150, 600)) * 100 if rng.random() < 0.5 else None,
    }


def seed_returns(convenor: User, members: list[User]) -> list[str]:
    """Set up the programme and play its returns; the caller commits. Returns what was made, for the summary."""
    rng = random.Random(18)
    now = clock.now()
    first = _month_back(now.date(), MONTHS)
    second = _month_back(now.date(), MONTHS - 1)
    with clock.frozen(now - timedelta(days=31 * MONTHS)):
        programme = programmes.create_programme(
            convenor,
            {
                "title": "Community response measures",
                "description": "Each month, the figures our members report on the support they give residents. "
                "Shared back with every member who reports, and used as evidence in our bids.",
                "measures": programmes.TEMPLATE,
                "first_period": periods.key_for(first, second),
                "sector_homes": 2_750_000,
            },
            [m.organisation_id for m in members],
        )
    periods.ensure_periods(programme, now)
    reporters = members[: len(members) - NEVER]
    made = 0
    for n, period in enumerate(programme.periods):
        latest = n == len(programme.periods) - 1
        opened = period.due_at - timedelta(days=programme.due_days)  # the end of the period's last month
        for index, user in enumerate(reporters):
            if latest and index % 3 == 2 and now < period.due_at:
                continue  # the latest period is still coming in
            if not latest and rng.random() < 0.06:
                continue  # a month missed
            late = index % 11 == 5 or (not latest and rng.random() < 0.05)
            at = (
                period.due_at + timedelta(days=rng.randint(1, 9))
                if late
                else opened + timedelta(days=rng.randint(1, 13))
            )
            at = min(at, now - timedelta(minutes=5))
            if period.lock_at is not None and at >= period.lock_at:
                continue
            story = STORIES[(index + n) % len(STORIES)] if index % 9 == 0 else ""
            homes = user.organisation.homes_owned or 5000
            with clock.frozen(at):
                save_return(
                    user,
                    programme,
                    period,
                    _figures(homes, n, rng),
                    {"REPEAT_SUPPORT": "Not recorded separately."},
                    story,
                    submit=True,
                    expected_version=0,
                    confirm=True,
                    story_shareable=bool(story),
                )
            made += 1
    _query_one(convenor, programme, now)
    return [
        f"  Impact returns: “{programme.title}”, {len(programme.periods)} periods from {programme.first_period}, "
        f"{made} returns from {len(reporters)} of {len(members)} members (some late, one queried)."
    ]


def _query_one(convenor: User, programme: Programme, now: datetime) -> None:
    """The convenor queries one return of the period before the latest: it is back with its organisation."""
    if len(programme.periods) < 2:
        return
    ret = db.session.scalar(
        sa.select(ImpactReturn)
        .where(ImpactReturn.period_id == programme.periods[-2].id, ImpactReturn.status == ReturnStatus.SUBMITTED)
        .order_by(ImpactReturn.id)
        .limit(1)
    )
    if ret is not None:
        with clock.frozen(now - timedelta(hours=3)):
            review.query(convenor, programme, ret.id, "Welfare calls look high against last month: please check.")
