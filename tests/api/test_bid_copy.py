"""POST /bids/{id}/copy: a new draft bid, its own deadline, optional invitations; refusals that save nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.infra import clock
from app.models import Bid, Invitation


def _later() -> str:
    return (clock.now() + timedelta(days=40)).isoformat()


def _count(committed, model, *where) -> int:
    return committed(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)))


def test_the_copy_is_a_new_draft_bid(api, world, committed):
    source = api.get(f"/bids/{world.bid_id}", world.convenor).json
    response = api.post(f"/bids/{world.bid_id}/copy", world.convenor, json={"deadline": _later(), "invite": "pledged"})
    assert response.status_code == 201, response.text
    copy = response.json
    assert copy["id"] != world.bid_id and copy["status"] == "draft"
    assert copy["title"] == source["title"] + " (copy)"
    assert response.headers["Location"].endswith(f"/api/v1/bids/{copy['id']}")
    for name in ("funder_name", "scheme", "target_pence", "target_homes", "min_pledge_pence", "show_amounts"):
        assert copy[name] == source[name], name
    # Riverside Homes pledged; Hillside Housing joined without pledging.
    names = committed(
        lambda: db.session.scalars(sa.select(Invitation.organisation_name).where(Invitation.bid_id == copy["id"])).all()
    )
    assert names == ["Riverside Homes"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "deadline", "Enter the deadline as a date and time."),
        ({"deadline": "2020-01-01T09:00:00+00:00"}, "deadline", "The deadline must be in the future."),
        ({"deadline": "tomorrow"}, "deadline", "ISO 8601"),
        ({"deadline": "LATER", "title": ""}, "title", "Enter the title."),
        ({"deadline": "LATER", "title": "x" * 201}, "title", "200 characters or fewer"),
        ({"deadline": "LATER", "invite": "friends"}, "invite", "Must be one of: none, pledged, invited."),
        ({"deadline": "LATER", "status": "open"}, "status", ""),
    ],
)
def test_a_refused_copy_saves_nothing(api, world, committed, body, field, message):
    body = {k: _later() if v == "LATER" else v for k, v in body.items()}
    before = _count(committed, Bid)
    response = api.post(f"/bids/{world.bid_id}/copy", world.convenor, json=body)
    assert response.status_code == 422, response.text
    assert message in response.json["errors"][field][0]
    assert _count(committed, Bid) == before


@pytest.mark.parametrize(("who", "status"), [("member", 403), ("outsider", 404), ("other_convenor", 404), (None, 401)])
def test_only_the_bids_convenors_copy_it(api, world, committed, who, status):
    before = _count(committed, Bid)
    token = getattr(world, who) if who else None
    assert api.post(f"/bids/{world.bid_id}/copy", token, json={"deadline": _later()}).status_code == status
    assert _count(committed, Bid) == before
