"""Bids through the API: list, create, read, edit, the lifecycle, totals and the audit log, with permissions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Bid

LATER = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)


def new_bid(**changes) -> dict:
    values = {
        "title": "Communities Match 2026",
        "funder_name": "Department for Communities",
        "scheme": "Community Match Fund",
        "summary": "Grants for local groups.",
        "terms": "Members commit what they pledge.",
        "target_pence": 625_000_000,
        "target_homes": 1_100_000,
        "min_pledge_pence": 1_000_000,
        "deadline": LATER.isoformat(),
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not ...}


def test_list_shows_only_the_bids_the_caller_can_see(api, world):
    convenor = api.get("/bids", world.convenor).json
    assert [b["id"] for b in convenor["items"]] == [world.bid_id]
    assert convenor["total"] == 1 and convenor["page"] == 1 and convenor["per_page"] == 50
    assert [b["id"] for b in api.get("/bids", world.member).json["items"]] == [world.bid_id]
    assert api.get("/bids", world.outsider).json == {"items": [], "page": 1, "per_page": 50, "total": 0}
    assert [b["id"] for b in api.get("/bids", world.other_convenor).json["items"]] == [world.other_bid_id]


def test_list_is_paginated(api, world, committed):
    from tests.factories import BidFactory

    def more():
        convenor = db.session.get(Bid, world.bid_id).created_by
        for _ in range(4):
            BidFactory(created_by=convenor)

    committed(more)
    first = api.get("/bids?per_page=2", world.convenor).json
    third = api.get("/bids?per_page=2&page=3", world.convenor).json
    assert first["total"] == 5 and len(first["items"]) == 2
    assert len(third["items"]) == 1
    assert api.get("/bids?per_page=2&page=9", world.convenor).json["items"] == []


def test_a_convenor_creates_a_draft_and_an_open_bid(api, world, committed):
    response = api.post("/bids", world.convenor, json=new_bid())
    assert response.status_code == 201, response.text
    body = response.json
    assert body["status"] == "draft"
    assert body["target_pence"] == 625_000_000 and body["target"] == "£6,250,000"
    assert body["deadline"] == LATER.isoformat()
    assert body["totals"]["pledged_pence"] == 0
    assert response.headers["Location"].endswith(f"/api/v1/bids/{body['id']}")
    assert response.headers["ETag"] == f'"{body["version"]}"'

    opened = api.post("/bids", world.convenor, json=new_bid(status="open", title="Second")).json
    assert opened["status"] == "open" and opened["opened_at"]

    actions = committed(
        lambda: db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.bid_id == opened["id"])).all()
    )
    assert actions == ["bid.created", "bid.opened"]


def test_a_deadline_with_another_offset_is_stored_in_utc(api, world):
    london = (LATER.replace(hour=17, minute=0, second=0)).strftime("%Y-%m-%dT%H:%M:%S") + "+01:00"
    body = api.post("/bids", world.convenor, json=new_bid(deadline=london)).json
    assert body["deadline"].endswith("+00:00")
    assert body["deadline"][11:19] == "16:00:00"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ...}, "title", "Enter the title."),
        ({"title": "   "}, "title", "Enter the title."),
        ({"title": 12}, "title", "Must be text."),
        ({"target_pence": "625000000"}, "target_pence", "Must be a whole number (not a string or a decimal)."),
        ({"target_pence": 6250.5}, "target_pence", "Must be a whole number (not a string or a decimal)."),
        ({"target_pence": True}, "target_pence", "Must be a whole number (not a string or a decimal)."),
        ({"target_pence": 0}, "target_pence", "The target must be more than £0."),
        ({"target_homes": -1}, "target_homes", "Homes cannot be negative."),
        ({"min_pledge_pence": 700_000_000}, "min_pledge_pence", "The minimum pledge cannot be more than the target."),
        ({"deadline": "2026-08-14"}, "deadline", "Must be an ISO 8601 date and time with a UTC offset"),
        ({"deadline": "2026-08-14T17:00:00"}, "deadline", "Must be an ISO 8601 date and time with a UTC offset"),
        ({"deadline": "2020-08-14T17:00:00+00:00"}, "deadline", "The deadline must be in the future."),
        ({"deadline": ...}, "deadline", "Enter the deadline as a date and time."),
        ({"deadline": "9999-12-31T23:59:59-01:00"}, "deadline", "Must be an ISO 8601 date and time"),
        ({"deadline": "0001-01-01T00:00:00+01:00"}, "deadline", "Must be an ISO 8601 date and time"),
        ({"title": "Nul\x00title"}, "title", "Must not contain NUL characters."),
        ({"status": "closed"}, "status", "Must be one of: draft, open."),
        ({"show_amounts": "yes"}, "show_amounts", "Must be true or false."),
        ({"colour": "blue"}, "colour", "Unknown field."),
        ({"target_pence": None}, "target_pence", "Must not be null"),
    ],
)
def test_create_refuses_bad_values_naming_the_field(api, world, committed, changes, field, message):
    response = api.post("/bids", world.convenor, json=new_bid(**changes))
    assert response.status_code == 422, response.text
    assert response.mimetype == "application/problem+json"
    errors = response.json["errors"]
    assert field in errors
    assert errors[field][0].startswith(message)
    assert committed(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(Bid))) == 2  # nothing saved


def test_members_cannot_create_bids(api, world):
    response = api.post("/bids", world.member, json=new_bid())
    assert response.status_code == 403
    assert response.json["type"] == "/api/v1/problems/forbidden"


@pytest.mark.parametrize(
    ("who", "status"),
    [("convenor", 200), ("member", 200), ("waiting", 200), ("outsider", 404), ("other_convenor", 404)],
)
def test_reading_a_bid_and_its_totals(api, world, who, status):
    for path in (f"/bids/{world.bid_id}", f"/bids/{world.bid_id}/totals"):
        response = api.get(path, getattr(world, who))
        assert response.status_code == status, (path, response.text)


def test_a_missing_bid_is_404_like_a_hidden_one(api, world):
    hidden = api.get(f"/bids/{world.other_bid_id}", world.member)
    missing = api.get("/bids/999999", world.member)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json["detail"] == missing.json["detail"]
    assert api.get("/bids/99999999999999999999", world.member).status_code == 404


def test_totals_hide_region_amounts_from_members_unless_the_bid_shows_amounts(api, world, committed):
    convenor = api.get(f"/bids/{world.bid_id}/totals", world.convenor).json
    member = api.get(f"/bids/{world.bid_id}/totals", world.member).json
    north_west = next(r for r in convenor["by_region"] if r["code"] == "NW")
    assert north_west["amount_pence"] == 25_000_000 and north_west["amount"] == "£250,000"
    assert "amount_pence" not in next(r for r in member["by_region"] if r["code"] == "NW")
    assert member["pledged_pence"] == convenor["pledged_pence"] == 25_000_000
    assert member["members_pledged"] == 1 and member["accepted"] == 2 and member["invited"] == 2

    committed(lambda: setattr(db.session.get(Bid, world.bid_id), "show_amounts", True))
    member = api.get(f"/bids/{world.bid_id}/totals", world.member).json
    assert next(r for r in member["by_region"] if r["code"] == "NW")["amount_pence"] == 25_000_000


def test_patch_edits_allowed_fields_with_if_match(api, world):
    current = api.get(f"/bids/{world.bid_id}", world.convenor)
    etag = current.headers["ETag"]
    response = api.patch(
        f"/bids/{world.bid_id}",
        world.convenor,
        json={"title": "Renamed", "show_amounts": True},
        headers={"If-Match": etag},
    )
    assert response.status_code == 200, response.text
    assert response.json["title"] == "Renamed" and response.json["show_amounts"] is True
    assert response.headers["ETag"] != etag

    stale = api.patch(f"/bids/{world.bid_id}", world.convenor, json={"title": "Old view"}, headers={"If-Match": etag})
    assert stale.status_code == 409
    assert stale.json["type"] == "/api/v1/problems/stale-version"
    assert stale.json["current"]["title"] == "Renamed"
    assert api.get(f"/bids/{world.bid_id}", world.convenor).json["title"] == "Renamed"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"deadline": (LATER + timedelta(days=1)).isoformat()}, "deadline", "Use ‘Extend the deadline’"),
        ({"status": "closed"}, "status", "Unknown field."),
        ({"target_pence": "1"}, "target_pence", "Must be a whole number"),
        ({"title": ""}, "title", "Enter the title."),
    ],
)
def test_patch_refuses_bad_values(api, world, body, field, message):
    response = api.patch(f"/bids/{world.bid_id}", world.convenor, json=body)
    assert response.status_code == 422, response.text
    assert response.json["errors"][field][0].startswith(message)


def test_patch_with_a_garbled_if_match_is_400(api, world):
    response = api.patch(f"/bids/{world.bid_id}", world.convenor, json={}, headers={"If-Match": "yesterday"})
    assert response.status_code == 400
    assert "If-Match" in response.json["detail"]


@pytest.mark.parametrize(("who", "status"), [("member", 403), ("outsider", 404), ("other_convenor", 404)])
def test_only_the_bids_convenor_edits_and_moves_it(api, world, who, status):
    token = getattr(world, who)
    assert api.patch(f"/bids/{world.bid_id}", token, json={"title": "Mine"}).status_code == status
    for action in ("open", "close", "cancel"):
        assert api.post(f"/bids/{world.bid_id}/{action}", token).status_code == status
    extend = api.post(f"/bids/{world.bid_id}/extend", token, json={"deadline": LATER.isoformat()})
    assert extend.status_code == status
    assert api.get(f"/bids/{world.bid_id}/audit", token).status_code == status
    assert api.get(f"/bids/{world.bid_id}", world.convenor).json["title"] != "Mine"


def test_lifecycle_open_close_extend_cancel(api, world):
    draft = api.post("/bids", world.convenor, json=new_bid()).json
    bid = f"/bids/{draft['id']}"
    assert api.post(f"{bid}/open", world.convenor).json["status"] == "open"
    again = api.post(f"{bid}/open", world.convenor)
    assert again.status_code == 409 and again.json["type"] == "/api/v1/problems/invalid-transition"
    assert api.post(f"{bid}/close", world.convenor).json["status"] == "closed"
    reopened = api.post(f"{bid}/extend", world.convenor, json={"deadline": (LATER + timedelta(days=2)).isoformat()})
    assert reopened.status_code == 200 and reopened.json["status"] == "open"
    assert api.post(f"{bid}/cancel", world.convenor).json["status"] == "cancelled"
    assert api.post(f"{bid}/extend", world.convenor, json={"deadline": LATER.isoformat()}).status_code == 409


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "deadline", "Enter the new deadline as a date and time."),
        ({"deadline": 5}, "deadline", "Must be an ISO 8601"),
        ({"deadline": "2020-01-01T00:00:00+00:00"}, "deadline", "The new deadline must be in the future."),
        ({"deadline": "2026-12-01T00:00:00+00:00", "why": "late"}, "why", "Unknown field."),
    ],
)
def test_extend_refuses_bad_deadlines(api, world, body, field, message):
    response = api.post(f"/bids/{world.bid_id}/extend", world.convenor, json=body)
    assert response.status_code == 422, response.text
    assert response.json["errors"][field][0].startswith(message)


def test_extend_must_move_an_open_deadline_later(api, world):
    current = datetime.fromisoformat(api.get(f"/bids/{world.bid_id}", world.convenor).json["deadline"])
    response = api.post(
        f"/bids/{world.bid_id}/extend", world.convenor, json={"deadline": (current - timedelta(hours=1)).isoformat()}
    )
    assert response.json["errors"] == {"deadline": ["The new deadline must be later than the current one."]}


def test_lifecycle_actions_refuse_a_body_with_fields(api, world):
    response = api.post(f"/bids/{world.bid_id}/close", world.convenor, json={"reason": "done"})
    assert response.status_code == 422
    assert response.json["errors"] == {"reason": ["Unknown field."]}
    assert api.get(f"/bids/{world.bid_id}", world.convenor).json["status"] == "open"


def test_audit_log_is_paginated_newest_first(api, world):
    api.patch(f"/bids/{world.bid_id}", world.convenor, json={"title": "One"})
    api.patch(f"/bids/{world.bid_id}", world.convenor, json={"title": "Two"})
    page = api.get(f"/bids/{world.bid_id}/audit?per_page=1", world.convenor).json
    assert page["total"] == 2 and page["per_page"] == 1
    event = page["items"][0]
    assert event["action"] == "bid.edited"
    assert event["after"] == {"title": "Two"} and event["before"] == {"title": "One"}
    assert event["actor"]["name"]
    assert api.get(f"/bids/{world.bid_id}/audit?page=2&per_page=1", world.convenor).json["items"][0]["after"] == {
        "title": "One"
    }
