"""Live rules: what each viewer may see of the event log, the feed's words, replay, the series and projection."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine

from app.extensions import db
from app.models import BidEvent
from app.services import clock, live, pledges
from tests.factories import BidFactory, ConvenorFactory, member_of

VALUES = {"homes": 12_400, "regions": ["NW"], "statement": "Grants.", "accept_terms": True}


def pledge(user, bid, pence, status="confirmed"):
    saved = pledges.save_pledge(user, bid, {**VALUES, "amount_pence": pence, "status": status}, expected_version=None)
    db.session.commit()
    return saved


@pytest.fixture
def rctx(app):
    """A request context: saving a pledge queues a receipt email whose links need one."""
    with app.test_request_context():
        yield app
        db.session.remove()


@pytest.fixture
def bid(rctx):
    return BidFactory(show_amounts=False)


def test_replay_from_any_last_event_id(bid):
    users = [member_of(bid) for _ in range(4)]
    for i, user in enumerate(users):
        pledge(user, bid, 10_000_00 * (i + 1))
    ids = [e.id for e in live.events_after(bid.id, 0)]
    assert ids == sorted(ids) and len(ids) == 4
    for k, after in enumerate([0, *ids]):
        assert [e.id for e in live.events_after(bid.id, after)] == ids[k:]
    assert live.latest_event_id(bid.id) == ids[-1]
    other = BidFactory()
    assert live.events_after(other.id, 0) == []  # another bid's log is separate


def test_member_never_sees_another_organisations_amount_when_hidden(bid):
    mine, theirs = member_of(bid), member_of(bid)
    pledge(theirs, bid, 123_456_00)
    pledge(mine, bid, 50_000_00)
    other_event, my_event = live.events_after(bid.id, 0)
    audience = live.audience_for(mine, bid)
    seen = live.visible_event(other_event, audience)
    assert "amount_pence" not in seen["payload"] and "homes" not in seen["payload"]
    assert "123,456" not in seen["text"] and seen["text"] == f"{theirs.organisation.name} made a confirmed pledge"
    own = live.visible_event(my_event, audience)
    assert own["payload"]["amount_pence"] == 50_000_00  # their own organisation's figures are theirs to see


def test_amounts_visible_to_convenor_and_when_the_bid_shows_them(bid):
    member = member_of(bid)
    pledge(member, bid, 250_000_00)
    event = live.events_after(bid.id, 0)[0]
    convenor = live.audience_for(bid.created_by, bid)
    assert convenor.convenor and live.visible_event(event, convenor)["payload"]["amount_pence"] == 250_000_00
    bid.show_amounts = True
    db.session.commit()
    onlooker = member_of(bid)
    assert live.visible_event(event, live.audience_for(onlooker, bid))["payload"]["amount_pence"] == 250_000_00


def test_declines_are_for_the_convenor_only(bid):
    member = member_of(bid)
    event = BidEvent(bid_id=bid.id, kind="invitation.declined", payload={"organisation": "Nope Homes"})
    db.session.add(event)
    db.session.flush()
    assert live.visible_event(event, live.audience_for(member, bid)) is None
    assert (
        live.visible_event(event, live.audience_for(bid.created_by, bid))["text"]
        == "Nope Homes declined the invitation"
    )
    assert [e["kind"] for e in live.recent_events(bid.id, live.audience_for(member, bid))] == []


@pytest.mark.parametrize(
    ("kind", "payload", "text"),
    [
        (
            "pledge.created",
            {"organisation": "Riverside Homes", "amount_pence": 250_000_00, "homes": 12_400, "status": "confirmed"},
            "Riverside Homes confirmed £250,000 covering 12,400 homes",
        ),
        (
            "pledge.created",
            {"organisation": "Riverside Homes", "amount_pence": 250_000_00, "homes": 12_400, "status": "indicative"},
            "Riverside Homes pledged £250,000 covering 12,400 homes (indicative)",
        ),
        (
            "pledge.amended",
            {
                "organisation": "Riverside Homes",
                "amount_pence": 300_000_00,
                "homes": 1,
                "previous_amount_pence": 250_000_00,
            },
            "Riverside Homes changed its pledge from £250,000 to £300,000 covering 1 homes",
        ),
        ("pledge.withdrawn", {"organisation": "Riverside Homes"}, "Riverside Homes withdrew its pledge"),
        ("invitation.accepted", {"organisation": "Riverside Homes"}, "Riverside Homes joined the bid"),
        ("bid.status", {"status": "closed"}, "The bid is now closed"),
    ],
)
def test_feed_sentences(kind, payload, text):
    assert live.describe(kind, payload) == text


def test_series_and_projection_at_the_recent_rate(rctx):
    start = clock.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        bid = BidFactory(opened_at=start, deadline=start + timedelta(days=10), target_pence=1_000_000_00)
        a, b = member_of(bid), member_of(bid)
        pledge(a, bid, 100_000_00)
    with time_machine.travel(start + timedelta(days=1), tick=False):
        pledge(b, bid, 200_000_00)
    with time_machine.travel(start + timedelta(days=2), tick=False):
        pledge(a, bid, 150_000_00)  # amended upwards
        points = live.pledged_series(bid)
        assert [p.pledged_pence for p in points] == [100_000_00, 300_000_00, 350_000_00]
        assert [p.members for p in points] == [1, 2, 2]
        projection = live.project(bid, points, 350_000_00, clock.now())
    # Two days in: £350,000 at £175,000 a day; eight days left → £1,750,000.
    assert projection.rate_per_day_pence == 175_000_00
    assert projection.projected_pence == 1_750_000_00
    assert "£175,000 a day" in projection.text and "£1,750,000" in projection.text and "175%" in projection.text
    assert "assumes the rate stays the same" in projection.text


def test_projection_uses_only_the_last_72_hours(rctx):
    start = clock.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        bid = BidFactory(opened_at=start, deadline=start + timedelta(days=10), target_pence=1_000_000_00)
        pledge(member_of(bid), bid, 600_000_00)
    with time_machine.travel(start + timedelta(days=5), tick=False):
        points = live.pledged_series(bid)
        projection = live.project(bid, points, 600_000_00, clock.now())
    assert projection.projected_pence == 600_000_00  # nothing new in the last 72 hours
    assert "No new money has been pledged in the last 72 hours" in projection.text


def test_no_projection_once_closed(bid):
    bid.deadline = clock.now() - timedelta(minutes=1)
    assert live.project(bid, [], 0, clock.now()) is None


def test_snapshot_for_a_member_with_hidden_amounts_carries_no_member_amounts(bid):
    mine, theirs = member_of(bid), member_of(bid)
    pledge(theirs, bid, 123_456_00)
    data = live.snapshot(bid, live.audience_for(mine, bid)).as_json()
    # Everything but the consortium figures: no trace of the one other organisation's amount.
    text = json.dumps(data)
    # One other organisation: a total that moved would be its amount, so the total waits (docs/live.md).
    assert data["totals"]["pledged_pence"] == 0 and data["totals"]["homes"] == 0
    assert data["totals"]["released_at"] is None
    assert all("amount_pence" not in m for m in data["members"])
    assert all("amount_pence" not in r and "homes" not in r for r in data["totals"]["regions"])
    assert data["series"]["metric"] == "members"
    assert "12345600" not in text and "123,456" not in text
    convenor = live.snapshot(bid, live.audience_for(ConvenorFactory(organisation=bid.organisation), bid)).as_json()
    assert convenor["members"][0]["amount_pence"] == 123_456_00 and "invited" in convenor["totals"]
