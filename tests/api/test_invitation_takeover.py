"""Issue 12, item 1 through the API: ``POST /api/v1/invitations/accept`` never makes the caller a member of an
existing organisation named by the invitation. No account and no API token exist until its manager approves;
a caller accepting with a token of their own organisation joins only that organisation."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ApiToken, Invitation, User
from app.services import letters
from tests.api.conftest import token_for
from tests.factories import BidFactory, InvitationFactory, OrganisationFactory, UserFactory, member_of, pledge_for
from tests.pdfs import clean_storage, make_pdf

pytestmark = pytest.mark.usefixtures(clean_storage.__name__)

LINK = re.compile(r"/invitations/([A-Za-z0-9_.\-]+)")
ATTACKER = "mallory@personal.example"
NEW = {"name": "Mallory", "password": "a-long-attacker-passphrase"}


@pytest.fixture
def world(committed):
    """Body A's bid joined by Riverside Homes (a manager, a £365,000 pledge, a letter) and Hollow Homes (no
    people); body B's bid; Evil Homes, whose member Mallory has an API token."""

    def build():
        bid_a = BidFactory(title="Body A bid")
        ria = member_of(bid_a, name="Riverside Homes", email="ria@riverside.example")
        pledge = pledge_for(ria, bid_a, amount_pence=36_500_000)
        letter = letters.upload_letter(ria, bid_a, make_pdf(), "riverside-letter.pdf")
        hollow = OrganisationFactory(name="Hollow Homes")
        InvitationFactory(bid=bid_a, organisation=hollow, organisation_name="Hollow Homes", status="accepted")
        bid_b = BidFactory(title="Body B bid")
        evil = UserFactory(email="mallory@evil.example", organisation=OrganisationFactory(name="Evil Homes"))
        db.session.flush()
        return SimpleNamespace(
            bid_a=bid_a.id,
            bid_b=bid_b.id,
            pledge=pledge.id,
            letter=letter.id,
            riverside=ria.organisation_id,
            convenor_a=token_for(bid_a.created_by),
            convenor_b=token_for(bid_b.created_by),
            manager=token_for(ria),
            mallory=token_for(evil),
            evil=evil.organisation_id,
        )

    return committed(build)


def _invite(api, token, bid_id, name, email=ATTACKER):
    response = api.post(
        f"/bids/{bid_id}/invitations", token, json={"invitations": [{"organisation_name": name, "email": email}]}
    )
    assert response.status_code == 200, response.text
    return response.json["results"][0]


def _link_token(outbox, email=ATTACKER) -> str:
    links = [LINK.search(m.body).group(1) for m in outbox if email in m.to and LINK.search(m.body)]
    assert links, f"no invitation to {email}"
    return links[-1]


def _nothing_of_riverside(api, world, token) -> None:
    assert world.bid_a not in [b["id"] for b in api.get("/bids", token).json["items"]]
    for path in (
        f"/bids/{world.bid_a}",
        f"/bids/{world.bid_a}/pledge",
        f"/bids/{world.bid_a}/pledges/{world.pledge}/revisions",
        f"/bids/{world.bid_a}/totals",
    ):
        response = api.get(path, token)
        assert response.status_code in (403, 404), (path, response.status_code)
        assert "36500000" not in response.text


@pytest.mark.parametrize("body", ["other body", "same body"])
def test_accepting_an_invitation_naming_riverside_makes_no_account_and_no_token(api, world, outbox, committed, body):
    convenor, bid_id = (world.convenor_b, world.bid_b) if body == "other body" else (world.convenor_a, world.bid_a)
    result = _invite(api, convenor, bid_id, "riverside   HOMES")
    if body == "other body":
        assert result["invitation"]["organisation_id"] is None
        assert result["invitation"]["possible_match"] == "Riverside Homes"
    response = api.post("/invitations/accept", json={"token": _link_token(outbox), **NEW})
    assert response.status_code == 202, response.text
    body_json = response.json
    assert body_json["user"] is None and body_json["api_token"] is None
    assert body_json["join_request"]["status"] == "pending"
    assert body_json["join_request"]["organisation"] == {"name": "Riverside Homes"}
    assert committed(lambda: db.session.scalar(sa.select(User.id).where(User.email == ATTACKER))) is None
    assert (
        committed(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken))) == 4
    )  # the world's own
    listed = api.get(f"/bids/{bid_id}/invitations", convenor).json["items"]
    assert [i["awaiting_approval"] for i in listed if i["email"] == ATTACKER] == [True]
    # The same link cannot be used again, for a second request or a new organisation.
    again = api.post("/invitations/accept", json={"token": _link_token(outbox), **NEW})
    assert again.status_code == 422 and again.json["reason"] == "used"
    # Riverside's manager sees the request; neither convenor can decide it; the manager refuses.
    listed = api.get("/join-requests", world.manager).json["items"]
    assert [(r["email"], r["status"], r["bid"]["id"]) for r in listed] == [(ATTACKER, "pending", bid_id)]
    request_id = listed[0]["id"]
    for outsider in (world.convenor_a, world.convenor_b, world.mallory):
        assert api.post(f"/join-requests/{request_id}/approve", outsider).status_code == 404
    assert api.get("/join-requests", world.convenor_b).status_code == 403
    refused = api.post(f"/join-requests/{request_id}/refuse", world.manager)
    assert refused.status_code == 200 and refused.json["status"] == "refused"
    assert api.post(f"/join-requests/{request_id}/approve", world.manager).status_code == 409
    assert committed(lambda: db.session.scalar(sa.select(User.id).where(User.email == ATTACKER))) is None
    still = api.post("/invitations/accept", json={"token": _link_token(outbox), **NEW})
    assert still.status_code == 422 and still.json["reason"] == "used"


def test_a_caller_with_their_own_token_joins_only_their_own_organisation(api, world, outbox, committed):
    _invite(api, world.convenor_b, world.bid_b, "riverside   HOMES")
    response = api.post("/invitations/accept", world.mallory, json={"token": _link_token(outbox)})
    assert response.status_code == 200, response.text
    assert response.json["user"]["organisation"]["name"] == "Evil Homes"
    _nothing_of_riverside(api, world, world.mallory)
    invitation = committed(
        lambda: db.session.scalar(sa.select(Invitation.organisation_id).where(Invitation.email == ATTACKER))
    )
    assert invitation == world.evil


def test_an_organisation_without_people_cannot_be_joined_by_name(api, world, outbox, committed):
    _invite(api, world.convenor_b, world.bid_b, "HOLLOW homes")
    response = api.post("/invitations/accept", json={"token": _link_token(outbox), **NEW})
    assert response.status_code == 409, response.text
    assert "Hollow Homes has no one who can approve new people yet." in response.json["detail"]
    assert committed(lambda: db.session.scalar(sa.select(User.id).where(User.email == ATTACKER))) is None


def test_the_look_alike_of_riverside_cannot_be_registered(api, world, outbox, committed):
    _invite(api, world.convenor_b, world.bid_b, "R\u0456verside Homes")
    organisation = {"name": "R\u0456verside Homes"}
    response = api.post("/invitations/accept", json={"token": _link_token(outbox), **NEW, "organisation": organisation})
    assert response.status_code == 422
    assert (
        "looks the same as an organisation already registered (Riverside Homes)"
        in response.json["errors"]["organisation.name"][0]
    )
    assert committed(lambda: db.session.scalar(sa.select(User.id).where(User.email == ATTACKER))) is None


def test_after_approval_the_person_logs_in_with_their_password_and_gets_a_token(api, world, outbox, committed, client):
    _invite(api, world.convenor_a, world.bid_a, "Riverside Homes", "sam@riverside.example")
    response = api.post(
        "/invitations/accept",
        json={"token": _link_token(outbox, "sam@riverside.example"), "name": "Sam", "password": "sams-own-passphrase"},
    )
    assert response.status_code == 202

    request_id = response.json["join_request"]["id"]
    approved = api.post(f"/join-requests/{request_id}/approve", world.manager)
    assert approved.status_code == 200 and approved.json["status"] == "approved"
    sam = committed(lambda: token_for(db.session.scalar(sa.select(User).where(User.email == "sam@riverside.example"))))
    pledge = api.get(f"/bids/{world.bid_a}/pledge", sam)
    assert pledge.status_code == 200 and pledge.json["amount_pence"] == 36_500_000
