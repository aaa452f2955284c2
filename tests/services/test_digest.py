"""The convenor's daily digest: once a day, what changed, the gap, who has not answered; opt-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.models import BidEvent, ConvenorSend, User
from app.services import audit, digest
from tests.services.scheduler_helpers import T0, emails, make_cast, recipients


def _cast(ctx):
    with time_machine.travel(T0 - timedelta(hours=2), tick=False):  # 7am London
        cast = make_cast()
    return cast


def _run(moment):
    with time_machine.travel(moment, tick=False):
        return digest.send_due()


def test_once_a_day_per_convenor_from_the_digest_hour(ctx):
    cast = _cast(ctx)
    assert _run(T0 - timedelta(hours=1, seconds=1))["sent"] == 0  # 7:59:59 London
    assert _run(T0 - timedelta(hours=1))["sent"] == 2  # 8am London
    assert _run(T0 + timedelta(hours=10))["sent"] == 0  # later the same day
    assert _run(T0 + timedelta(days=1))["sent"] == 2  # the next day
    assert recipients("digest") == ["deputy@convenor.example"] * 2 + ["lead@convenor.example"] * 2
    keys = db.session.scalars(sa.select(ConvenorSend.key).distinct().order_by(ConvenorSend.key)).all()
    assert keys == ["digest:2026-03-02", "digest:2026-03-03"]
    assert cast.bid.id


def test_opted_out_convenors_get_none(ctx):
    cast = _cast(ctx)
    digest.set_opt_out(cast.convenors[1], True)
    db.session.commit()
    _run(T0)
    assert recipients("digest") == ["lead@convenor.example"]


def test_no_digest_once_the_deadline_has_passed(ctx):
    cast = _cast(ctx)
    assert _run(cast.bid.deadline + timedelta(minutes=1))["sent"] == 0


def test_the_digest_tells_the_last_24_hours_the_gap_and_who_has_not_answered(ctx):
    cast = _cast(ctx)
    with time_machine.travel(T0 - timedelta(days=2), tick=False):
        audit.emit(cast.bid, "pledge.created", {"organisation": "Old News Homes", "amount_pence": 1, "status": "x"})
    later = T0 + timedelta(days=1, hours=1)  # the day after: one invitation has expired meanwhile
    with time_machine.travel(later - timedelta(hours=3), tick=False):
        audit.emit(
            cast.bid,
            "pledge.amended",
            {
                "organisation": "Indicative Homes",
                "amount_pence": 10_000_000,
                "previous_amount_pence": 5_000_000,
                "status": "indicative",
            },
        )
        audit.emit(cast.bid, "invitation.declined", {"organisation": "Declined Homes"})
        db.session.commit()
    _run(later)
    body = next(m.body_text for m in emails("digest") if m.to_address == "lead@convenor.example")
    assert "- Indicative Homes changed its pledge from £50,000 to £100,000 (indicative)" in body
    assert "- Declined Homes declined the invitation" in body
    assert "Old News Homes" not in body
    assert "Gap to target: £5,600,000" in body
    assert "Not yet answered (1):\n- Waiting Homes" in body
    assert "1 invitation expired without an answer." in body
    assert f"http://localhost/bids/{cast.bid.id}" in body and "http://localhost/account" in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BidEvent)) == 3


def test_describe_event_words():
    event = BidEvent(kind="bid.extended", payload={"deadline": datetime(2026, 3, 14, 9, tzinfo=UTC).isoformat()})
    assert digest.describe_event(event) == "The deadline was moved to 9am on Saturday 14 March 2026"
    assert digest.describe_event(BidEvent(kind="pledge.withdrawn", payload={"organisation": "A"})) == (
        "A withdrew its pledge"
    )


def test_set_opt_out_audits_and_refuses_non_booleans(ctx):
    cast = _cast(ctx)
    user = db.session.get(User, cast.convenors[0].id)
    digest.set_opt_out(user, True)
    db.session.commit()
    assert user.digest_opt_out is True
    try:
        digest.set_opt_out(user, "yes")
    except digest_errors() as exc:
        assert exc.errors == {"digest_opt_out": ["Choose whether to receive the daily digest."]}
    else:
        raise AssertionError("a non-boolean was accepted")


def digest_errors():
    from app.services.errors import ValidationFailed

    return ValidationFailed


def test_no_digest_for_a_bid_with_nothing_to_report(ctx):
    """A bid just opened with no invitations: no "everyone invited has answered" email a minute later."""
    from app.models import Bid, Invitation
    from app.services import bids

    cast = _cast(ctx)
    with time_machine.travel(T0 - timedelta(minutes=5), tick=False):
        fresh = bids.create_bid(
            cast.convenors[0],
            {
                "title": "Nothing yet bid",
                "funder_name": "Funder",
                "scheme": "Scheme",
                "target_pence": 100_000_000,
                "target_homes": 10,
                "deadline": cast.bid.deadline,
            },
            open_now=True,
        )
        db.session.commit()
    invited = sa.select(sa.func.count()).select_from(Invitation).where(Invitation.bid_id == fresh.id)
    assert db.session.scalar(invited) == 0
    _run(T0)
    subjects = [m.subject for m in emails("digest")]
    assert not any("Nothing yet bid" in s for s in subjects)
    assert any(cast.bid.title in s for s in subjects)  # the bid with news still gets its digest
    built = digest.build(db.session.get(Bid, fresh.id), T0)
    assert not built.has_news and built.changes  # its own "became open" line is not news
