"""Invitations through the API: bulk invite with per-row results, the list, and accepting with the token."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ApiToken, Bid, BidStatus, Invitation, User
from app.models import organisation as organisation_model
from tests.locks import only_sqlite, recording_lock

LINK = re.compile(r"/invitations/([A-Za-z0-9_.\-]+)")


def invite(api, world, rows, token=None):
    return api.post(f"/bids/{world.bid_id}/invitations", token or world.convenor, json={"invitations": rows})


def token_in(message) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def test_invite_gives_a_result_per_row(api, world, outbox):
    response = invite(
        api,
        world,
        [
            {"organisation_name": "Northern Homes", "email": "Ops@Northern.example"},
            {"organisation_name": "Eastern Homes", "email": "not-an-email"},
            {"organisation_name": "Copy Homes", "email": "ops@northern.example"},
            {"organisation_name": "=SUM(A1)", "email": "formula@example.org"},
        ],
    )
    assert response.status_code == 200, response.text
    body = response.json
    assert body["invited"] == 1 and body["refused"] == 3
    first, second, third, fourth = body["results"]
    assert first["status"] == "invited" and first["invitation"]["email"] == "ops@northern.example"
    assert first["invitation"]["state"] == "sent"
    assert second["status"] == "refused" and second["reason"].startswith("The email address is not valid")
    assert third["reason"] == "The same email address is on line 1."
    assert "spreadsheet formula" in fourth["reason"]
    assert [m.to[0] for m in outbox] == ["ops@northern.example"]


def test_inviting_the_same_address_twice_is_refused_with_the_reason(api, world):
    invite(api, world, [{"organisation_name": "A", "email": "a@example.org"}])
    again = invite(api, world, [{"organisation_name": "A", "email": "a@example.org"}]).json
    assert again["results"][0]["reason"] == "This email address was already invited to this bid (sent)."


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"invitations": []}, "invitations", "Give at least one invitation."),
        ({}, "invitations", "Give at least one invitation."),
        ({"invitations": "a@example.org"}, "invitations", "Must be a list."),
        ({"invitations": [{"email": "a@example.org"}]}, "invitations[0].organisation_name", "This field is required."),
        ({"invitations": [{"organisation_name": "A", "email": 7}]}, "invitations[0].email", "Must be text."),
        (
            {"invitations": [{"organisation_name": "A", "email": "a@x.org", "phone": "1"}]},
            "invitations[0].phone",
            "Unknown field.",
        ),
        ({"invitations": ["a@example.org"]}, "invitations[0]", "Must be an object."),
        ({"invitations": [], "note": "hi"}, "note", "Unknown field."),
    ],
)
def test_invite_refuses_bad_bodies(api, world, committed, body, field, message):
    response = api.post(f"/bids/{world.bid_id}/invitations", world.convenor, json=body)
    assert response.status_code == 422, response.text
    assert response.json["errors"][field] == [message]
    assert committed(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(Invitation))) == 2


def test_too_many_rows_is_refused(api, world):
    rows = [{"organisation_name": f"Org {i}", "email": f"o{i}@example.org"} for i in range(2001)]
    response = invite(api, world, rows)
    assert response.status_code == 422
    assert response.json["errors"] == {"invitations": ["Give at most 2,000 items."]}


def test_a_closed_bid_takes_no_invitations(api, world, committed):
    committed(lambda: setattr(db.session.get(Bid, world.bid_id), "status", BidStatus.CLOSED))
    response = invite(api, world, [{"organisation_name": "A", "email": "a@example.org"}])
    assert response.status_code == 409
    assert response.json["type"] == "/api/v1/problems/invalid-transition"


@pytest.mark.parametrize(("who", "status"), [("member", 403), ("outsider", 404), ("other_convenor", 404)])
def test_only_the_convenor_invites_and_lists(api, world, who, status):
    rows = [{"organisation_name": "A", "email": "a@example.org"}]
    assert invite(api, world, rows, token=getattr(world, who)).status_code == status
    assert api.get(f"/bids/{world.bid_id}/invitations", getattr(world, who)).status_code == status


def test_list_invitations_with_states(api, world):
    invite(api, world, [{"organisation_name": "Zed Homes", "email": "z@example.org"}])
    page = api.get(f"/bids/{world.bid_id}/invitations", world.convenor).json
    assert page["total"] == 3
    states = {i["organisation_name"]: i["state"] for i in page["items"]}
    assert states == {"Hillside Housing": "accepted", "Riverside Homes": "pledged", "Zed Homes": "sent"}
    assert len(api.get(f"/bids/{world.bid_id}/invitations?per_page=2&page=2", world.convenor).json["items"]) == 1


NEW = {
    "name": "Priya Shah",
    "password": "a long pledge password",
    "organisation": {"name": "Northern Homes", "identifier": "GB-SHPE-L0026", "homes_owned": 42_000, "regions": ["NE"]},
}


def test_accept_as_a_new_account_returns_the_user_and_a_working_token(api, world, outbox, committed):
    invite(api, world, [{"organisation_name": "Northern Homes", "email": "priya@northern.example"}])
    response = api.post("/invitations/accept", json={"token": token_in(outbox[0]), **NEW})
    assert response.status_code == 201, response.text
    body = response.json
    assert body["user"]["email"] == "priya@northern.example" and body["user"]["role"] == "member"
    assert body["user"]["organisation"]["name"] == "Northern Homes"
    assert body["bid"]["id"] == world.bid_id
    new_token = body["api_token"]
    assert new_token.startswith("cbm_")
    stored = committed(lambda: db.session.scalars(sa.select(ApiToken.token_hash)).all())
    assert new_token not in stored  # only the hash is kept
    created = api.put(
        f"/bids/{world.bid_id}/pledge",
        new_token,
        json={"amount_pence": 100_000, "homes": 10, "regions": ["NE"], "status": "confirmed", "accept_terms": True},
    )
    assert created.status_code == 201


def test_accept_with_a_token_of_an_existing_member(api, world, outbox, committed):
    invite(api, world, [{"organisation_name": "Riverside Homes", "email": "second@riverside.example"}])
    # Riverside's member accepts an invitation to another bid of the same convenor
    response = api.post("/invitations/accept", world.member, json={"token": token_in(outbox[0])})
    assert response.status_code == 200, response.text
    assert response.json["api_token"] is None and response.json["user"]["email"] == world.member_email


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "", "password": "a long pledge password"}, "name", "Enter your name."),
        ({"name": "Priya", "password": "short"}, "password", "Use at least 10 characters."),
        ({"password": "a long pledge password"}, "name", "This field is required when accepting without an API token."),
        (
            {"name": "Priya", "password": "a long pledge password", "organisation": {}},
            "organisation.name",
            "Enter the organisation's name.",
        ),
        (
            {
                "name": "Priya",
                "password": "a long pledge password",
                "organisation": {"name": "N", "identifier": "XX-1"},
            },
            "organisation.identifier",
            "Use the org-id form",
        ),
        ({"name": "Priya", "password": "a long pledge password", "role": "convenor"}, "role", "Unknown field."),
        ({"name": 5, "password": "a long pledge password"}, "name", "Must be text."),
    ],
)
def test_accept_refuses_bad_values(api, world, outbox, committed, body, field, message):
    invite(api, world, [{"organisation_name": "Northern Homes", "email": "priya@northern.example"}])
    response = api.post("/invitations/accept", json={"token": token_in(outbox[0]), **body})
    assert response.status_code == 422, response.text
    assert response.json["errors"][field][0].startswith(message)
    assert (
        committed(lambda: db.session.scalar(sa.select(User.id).where(User.email == "priya@northern.example"))) is None
    )


def test_accept_with_a_bad_or_used_token(api, world, outbox):
    missing = api.post("/invitations/accept", json={"name": "P", "password": "a long pledge password"})
    assert missing.json["errors"] == {"token": ["Give the token from the invitation link."]}
    tampered = api.post("/invitations/accept", json={"token": "abc.def", "name": "P", "password": "a long pw x"})
    assert tampered.status_code == 422
    assert tampered.json["reason"] == "tampered" and "not valid" in tampered.json["errors"]["token"][0]
    invite(api, world, [{"organisation_name": "Northern Homes", "email": "priya@northern.example"}])
    token = token_in(outbox[0])
    assert api.post("/invitations/accept", json={"token": token, **NEW}).status_code == 201
    used = api.post("/invitations/accept", json={"token": token, **NEW})
    assert used.status_code == 422 and used.json["reason"] == "used"


def test_a_convenor_cannot_accept_as_a_member(api, world, outbox):
    invite(api, world, [{"organisation_name": "Northern Homes", "email": "priya@northern.example"}])
    response = api.post("/invitations/accept", world.other_convenor, json={"token": token_in(outbox[0])})
    assert response.status_code == 403


def test_accept_with_a_bearer_takes_only_the_token(api, world, outbox):
    invite(api, world, [{"organisation_name": "Riverside Homes", "email": "second@riverside.example"}])
    response = api.post("/invitations/accept", world.member, json={"token": token_in(outbox[0]), "name": "X"})
    assert response.status_code == 422
    assert response.json["errors"] == {"name": ["Not needed: you are accepting as the token's user."]}


def test_accept_with_a_bad_bearer_is_401(api, world):
    response = api.post("/invitations/accept", "cbm_wrong", json={"token": "x"})
    assert response.status_code == 401


@only_sqlite
def test_accepting_through_the_api_hashes_the_password_without_holding_the_write_lock(
    api, world, outbox, database_url, monkeypatch
):
    """Issue 12, item 8: the slow hash ran inside the write transaction, so every other writer waited."""
    invite(api, world, [{"organisation_name": "Northern Homes", "email": "priya@northern.example"}])
    free = recording_lock(monkeypatch, organisation_model, "generate_password_hash", database_url)
    response = api.post("/invitations/accept", json={"token": token_in(outbox[0]), **NEW})
    assert response.status_code == 201, response.text
    assert free == [True]
