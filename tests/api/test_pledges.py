"""Pledges through the API: the caller's own pledge, all pledges, history; versions, deadlines and permissions."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.infra import clock
from app.models import Bid, Pledge, PledgeRevision

GOOD = {
    "amount_pence": 50_000_000,
    "homes": 2_400,
    "regions": ["NW", "YH"],
    "statement": "Grants for tenants' groups.",
    "status": "indicative",
    "accept_terms": True,
}


def pledge_path(world) -> str:
    return f"/bids/{world.bid_id}/pledge"


def test_get_my_pledge_with_its_version(api, world):
    response = api.get(pledge_path(world), world.member)
    assert response.status_code == 200
    body = response.json
    assert body["id"] == world.pledge_id
    assert body["amount_pence"] == 25_000_000 and body["amount"] == "£250,000"
    assert body["organisation"]["name"] == "Riverside Homes"
    assert response.headers["ETag"] == f'"{body["version"]}"'
    # a colleague in the same organisation sees the same pledge
    assert api.get(pledge_path(world), world.colleague).json["id"] == world.pledge_id


def test_no_pledge_yet_is_404(api, world):
    response = api.get(pledge_path(world), world.waiting)
    assert response.status_code == 404
    assert "not pledged" in response.json["detail"]


def test_put_creates_then_replaces(api, world):
    created = api.put(pledge_path(world), world.waiting, json=GOOD)
    assert created.status_code == 201, created.text
    assert created.json["regions"] == ["NW", "YH"] and created.json["status"] == "indicative"
    etag = created.headers["ETag"]
    replaced = api.put(
        pledge_path(world), world.waiting, json={**GOOD, "status": "confirmed"}, headers={"If-Match": etag}
    )
    assert replaced.status_code == 200
    assert replaced.json["status"] == "confirmed" and replaced.headers["ETag"] != etag
    totals = api.get(f"/bids/{world.bid_id}/totals", world.convenor).json
    assert totals["pledged_pence"] == 75_000_000 and totals["confirmed_pence"] == 75_000_000


def test_a_stale_if_match_is_409_and_changes_nothing(api, world):
    old = api.get(pledge_path(world), world.member).headers["ETag"]
    assert api.put(pledge_path(world), world.colleague, json=GOOD, headers={"If-Match": old}).status_code == 200
    stale = api.put(pledge_path(world), world.member, json={**GOOD, "amount_pence": 1_000}, headers={"If-Match": old})
    assert stale.status_code == 409
    assert stale.json["type"] == "/api/v1/problems/stale-version"
    assert stale.json["current"]["amount_pence"] == GOOD["amount_pence"]
    assert api.get(pledge_path(world), world.member).json["amount_pence"] == GOOD["amount_pence"]


def test_if_none_match_star_only_creates(api, world):
    response = api.put(pledge_path(world), world.member, json=GOOD, headers={"If-None-Match": "*"})
    assert response.status_code == 409 and response.json["type"] == "/api/v1/problems/stale-version"
    assert api.put(pledge_path(world), world.waiting, json=GOOD, headers={"If-None-Match": "*"}).status_code == 201


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        ({"If-Match": "yesterday"}, "If-Match must be the ETag"),
        ({"If-Match": '"1234567890"'}, "If-Match must be the ETag"),
        ({"If-Match": '"1'}, "If-Match must be the ETag"),
        ({"If-None-Match": '"1"'}, "If-None-Match may only be *"),
    ],
)
def test_garbled_conditional_headers_are_400(api, world, headers, fragment):
    response = api.put(pledge_path(world), world.member, json=GOOD, headers=headers)
    assert response.status_code == 400
    assert response.json["detail"].startswith(fragment)
    assert api.get(pledge_path(world), world.member).json["amount_pence"] == 25_000_000


def test_weak_and_bare_etags_are_understood(api, world):
    assert api.put(pledge_path(world), world.member, json=GOOD, headers={"If-Match": 'W/"1"'}).status_code == 200
    assert api.put(pledge_path(world), world.member, json=GOOD, headers={"If-Match": "1"}).status_code == 409


def test_after_the_deadline_a_pledge_is_409_bid_closed(api, world, committed):
    deadline = committed(lambda: db.session.get(Bid, world.bid_id).deadline)
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        response = api.put(pledge_path(world), world.waiting, json=GOOD)
        assert response.status_code == 409
        assert response.json["type"] == "/api/v1/problems/bid-closed"
        assert "deadline passed" in response.json["detail"]
        withdraw = api.delete(pledge_path(world), world.member)
        assert withdraw.status_code == 409 and withdraw.json["type"] == "/api/v1/problems/bid-closed"
    assert committed(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(Pledge))) == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount_pence": "500"}, "amount_pence", "Must be a whole number"),
        ({"amount_pence": 12.5}, "amount_pence", "Must be a whole number"),
        ({"amount_pence": 0}, "amount_pence", "The amount must be more than £0."),
        ({"amount_pence": None}, "amount_pence", "Must not be null"),
        ({"homes": -3}, "homes", "The number of homes cannot be negative."),
        ({"homes": "12"}, "homes", "Must be a whole number"),
        ({"regions": []}, "regions", "Choose at least one region the pledge covers."),
        ({"regions": "NW"}, "regions", "Must be a list."),
        ({"regions": ["Narnia"]}, "regions[0]", "Must be one of:"),
        ({"status": "maybe"}, "status", "Must be one of: indicative, confirmed."),
        ({"accept_terms": False}, "accept_terms", "You must accept the bid's terms to pledge."),
        ({"accept_terms": "true"}, "accept_terms", "Must be true or false."),
        ({"statement": "x" * 5001}, "statement", "The statement must be 5,000 characters or fewer"),
        ({"currency": "GBP"}, "currency", "Unknown field."),
    ],
)
def test_put_refuses_bad_values_naming_the_field(api, world, committed, changes, field, message):
    response = api.put(pledge_path(world), world.waiting, json={**GOOD, **changes})
    assert response.status_code == 422, response.text
    assert response.json["errors"][field][0].startswith(message)
    assert committed(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(Pledge))) == 1


def test_a_missing_field_is_named(api, world):
    body = {k: v for k, v in GOOD.items() if k != "homes"}
    response = api.put(pledge_path(world), world.waiting, json=body)
    assert response.json["errors"] == {"homes": ["Enter the number of homes the pledge covers."]}


def test_below_the_bids_minimum_is_refused(api, world, committed):
    committed(lambda: setattr(db.session.get(Bid, world.bid_id), "min_pledge_pence", 100_000_000))
    response = api.put(pledge_path(world), world.waiting, json=GOOD)
    assert response.json["errors"] == {"amount_pence": ["The minimum pledge for this bid is £1,000,000."]}


def test_delete_withdraws_with_if_match(api, world):
    etag = api.get(pledge_path(world), world.member).headers["ETag"]
    assert api.delete(pledge_path(world), world.member, headers={"If-Match": '"99"'}).status_code == 409
    response = api.delete(pledge_path(world), world.member, headers={"If-Match": etag})
    assert response.status_code == 200 and response.json["status"] == "withdrawn"
    assert api.get(f"/bids/{world.bid_id}/totals", world.convenor).json["pledged_pence"] == 0
    again = api.delete(pledge_path(world), world.member)
    assert again.status_code == 404


@pytest.mark.parametrize(("who", "status"), [("convenor", 403), ("outsider", 404), ("other_convenor", 404)])
def test_only_members_have_a_pledge(api, world, who, status):
    token = getattr(world, who)
    assert api.get(pledge_path(world), token).status_code == status
    assert api.put(pledge_path(world), token, json=GOOD).status_code == status
    assert api.delete(pledge_path(world), token).status_code == status
    assert api.get(pledge_path(world), world.member).json["amount_pence"] == 25_000_000


def test_all_pledges_for_the_convenor(api, world):
    api.put(pledge_path(world), world.waiting, json=GOOD)
    page = api.get(f"/bids/{world.bid_id}/pledges", world.convenor).json
    assert page["total"] == 2
    assert [p["amount_pence"] for p in page["items"]] == [50_000_000, 25_000_000]  # largest first
    assert page["items"][1]["organisation"]["name"] == "Riverside Homes"
    assert api.get(f"/bids/{world.bid_id}/pledges?per_page=1&page=2", world.convenor).json["items"][0]["id"] == (
        world.pledge_id
    )


def test_members_see_all_pledges_only_when_the_bid_shows_amounts(api, world, committed):
    hidden = api.get(f"/bids/{world.bid_id}/pledges", world.member)
    assert hidden.status_code == 403
    committed(lambda: setattr(db.session.get(Bid, world.bid_id), "show_amounts", True))
    assert api.get(f"/bids/{world.bid_id}/pledges", world.member).json["total"] == 1
    assert api.get(f"/bids/{world.bid_id}/pledges", world.outsider).status_code == 404
    assert api.get(f"/bids/{world.bid_id}/pledges", world.other_convenor).status_code == 404


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("member", 200),
        ("colleague", 200),
        ("convenor", 200),
        ("waiting", 404),
        ("outsider", 404),
        ("other_convenor", 404),
    ],
)
def test_revisions_for_the_organisation_and_the_convenor_only(api, world, who, status):
    api.put(pledge_path(world), world.member, json=GOOD)
    response = api.get(f"/bids/{world.bid_id}/pledges/{world.pledge_id}/revisions", getattr(world, who))
    assert response.status_code == status
    if status == 200:
        items = response.json["items"]
        assert [r["version"] for r in items] == [2, 1]
        assert items[0]["action"] == "amended"
        assert items[0]["before"]["amount_pence"] == 25_000_000 and items[0]["after"]["amount_pence"] == 50_000_000


def test_revisions_of_a_pledge_on_another_bid_are_404(api, world, committed):
    from tests.factories import member_of, pledge_for

    def elsewhere():
        other = db.session.get(Bid, world.other_bid_id)
        return pledge_for(member_of(other), other).id

    other_pledge = committed(elsewhere)
    response = api.get(f"/bids/{world.bid_id}/pledges/{other_pledge}/revisions", world.convenor)
    assert response.status_code == 404


def test_saving_records_a_revision_and_receipt(api, world, committed, outbox):
    api.put(pledge_path(world), world.waiting, json=GOOD)
    revisions = committed(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(PledgeRevision)))
    assert revisions == 2
    assert any("Your pledge to" in m.subject for m in outbox)
    assert clock.now()
