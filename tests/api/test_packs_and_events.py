"""The API's live stream (GET /bids/{id}/events) and bid packs (POST/GET /bids/{id}/packs, file downloads)."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import BidStatus, User
from app.services import packs
from tests import factories as f
from tests.api.conftest import token_for
from tests.live.conftest import _fresh_live_state
from tests.live.helpers import Reader, make_scene, pledge_as
from tests.pdfs import clean_storage

__all__ = ["_fresh_live_state", "clean_storage"]
pytestmark = pytest.mark.usefixtures("clean_storage")


def is_snapshot(message):
    return message.get("event") == "snapshot"


def is_update(message):
    return message.get("event") == "update"


# --- bid packs ---------------------------------------------------------------------------------------


def test_a_convenor_generates_lists_and_downloads_versions(api, world):
    made = api.post(f"/bids/{world.bid_id}/packs", world.convenor)
    assert made.status_code == 201, made.json
    pack = made.json
    assert pack["version"] == 1
    assert pack["figures"]["total_pence"] == 25_000_000 and pack["figures"]["total"] == "£250,000"
    assert pack["figures"]["members"] == 1 and pack["figures"]["homes"] == 1_000
    assert [file["kind"] for file in pack["files"]] == ["pdf", "xlsx", "csv", "zip"]
    assert pack["files"][0]["url"] == f"/api/v1/bids/{world.bid_id}/packs/1/pdf"
    assert api.post(f"/bids/{world.bid_id}/packs", world.convenor, json={}).json["version"] == 2

    listed = api.get(f"/bids/{world.bid_id}/packs?per_page=1", world.convenor)
    assert listed.status_code == 200
    assert listed.json["total"] == 2 and listed.json["per_page"] == 1
    assert [p["version"] for p in listed.json["items"]] == [2]
    assert [
        p["version"] for p in api.get(f"/bids/{world.bid_id}/packs?page=2&per_page=1", world.convenor).json["items"]
    ] == [1]

    for file in pack["files"]:
        for name in (file["kind"], file["name"]):
            download = api.get(f"/bids/{world.bid_id}/packs/1/{name}", world.convenor)
            assert download.status_code == 200
            assert hashlib.sha256(download.data).hexdigest() == file["sha256"]
            assert len(download.data) == file["size"]
            assert download.headers["Content-Disposition"].startswith("attachment; filename=")
            assert download.headers["Content-Disposition"].endswith(f"-v1-{packs.FILE_NAMES[file['kind']]}")
            assert download.headers["Cache-Control"] == "private, no-store"
    assert api.get(f"/bids/{world.bid_id}/packs/1/csv", world.convenor).mimetype == "text/csv"


def test_a_draft_bid_has_no_pack(api, committed):
    token = committed(lambda: token_for(f.BidFactory(status=BidStatus.DRAFT).created_by))
    bid_id = api.get("/bids", token).json["items"][0]["id"]
    refused = api.post(f"/bids/{bid_id}/packs", token)
    assert refused.status_code == 409
    assert refused.mimetype == "application/problem+json"


PACK_WHO = {
    "anonymous": (None, 401),
    "other convenor": ("other_convenor", 404),
    "member of another organisation": ("outsider", 404),
    "member": ("member", 403),
    "member who has not pledged": ("waiting", 403),
}


@pytest.mark.parametrize("who", PACK_WHO)
def test_only_the_bids_convenors_reach_its_packs(api, world, who):
    attr, status = PACK_WHO[who]
    assert api.post(f"/bids/{world.bid_id}/packs", world.convenor).status_code == 201
    token = getattr(world, attr) if attr else None
    for method, path in (
        ("POST", f"/bids/{world.bid_id}/packs"),
        ("GET", f"/bids/{world.bid_id}/packs"),
        ("GET", f"/bids/{world.bid_id}/packs/1/pdf"),
    ):
        response = api.call(method, path, token)
        assert response.status_code == status, (method, path, response.json)
        assert response.mimetype == "application/problem+json"
    assert api.get(f"/bids/{world.bid_id}/packs", world.convenor).json["total"] == 1  # nobody else made one


def test_unknown_versions_files_and_bids_are_404(api, world):
    assert api.post(f"/bids/{world.bid_id}/packs", world.convenor).status_code == 201
    for path in (
        f"/bids/{world.bid_id}/packs/2/pdf",
        f"/bids/{world.bid_id}/packs/1/docx",
        f"/bids/{world.bid_id}/packs/1/letters.pdf",
        f"/bids/{world.other_bid_id}/packs/1/pdf",
        "/bids/999999/packs",
    ):
        response = api.get(path, world.convenor)
        assert response.status_code == 404, path
        assert response.mimetype == "application/problem+json"


def test_unknown_query_parameters_and_bad_pages_are_422(api, world):
    refused = api.get(f"/bids/{world.bid_id}/packs?sort=new", world.convenor)
    assert refused.status_code == 422 and refused.json["errors"] == {"sort": ["Unknown query parameter."]}
    refused = api.get(f"/bids/{world.bid_id}/packs?per_page=101", world.convenor)
    assert refused.status_code == 422 and refused.json["errors"] == {"per_page": ["Must be at most 100."]}
    refused = api.get(f"/bids/{world.bid_id}/packs/1/pdf?inline=1", world.convenor)
    assert refused.status_code == 422 and refused.json["errors"] == {"inline": ["Unknown query parameter."]}
    refused = api.post(f"/bids/{world.bid_id}/packs", world.convenor, json={"force": True})
    assert refused.status_code == 422 and "force" in refused.json["errors"]
    refused = api.get(f"/bids/{world.bid_id}/events?sort=amount", world.convenor)
    assert refused.status_code == 422 and refused.json["errors"] == {"sort": ["Unknown query parameter."]}


# --- the live stream ---------------------------------------------------------------------------------


@pytest.fixture
def scene(app, committed):
    """The live tests' scene (a bid with two members, outsiders), with an API token for each person."""
    people = make_scene(app, show_amounts=False)

    def tokens():
        users = {u.email: u for u in db.session.scalars(sa.select(User))}
        return {
            who: token_for(users[getattr(people, who)])
            for who in ("convenor", "riverside", "other", "elsewhere", "invited", "stranger")
        }

    return SimpleNamespace(**vars(people), tokens=committed(tokens))


def test_the_stream_starts_with_a_snapshot_and_delivers_a_pledge_made_after_connecting(app, api, scene):
    response = api.get(f"/bids/{scene.bid_id}/events", scene.tokens["convenor"])
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert "no-cache" in response.headers["Cache-Control"]
    reader = Reader(response)
    try:
        assert reader.next_message()["retry"] == "3000"
        snapshot = reader.next_message()
        assert snapshot["event"] == "snapshot" and snapshot["id"] == "0"
        assert snapshot["data"]["totals"]["pledged_pence"] == 0
        pledge_as(app, scene.riverside, scene.bid_id, 250_000_00)
        messages = reader.until(is_update)
        activity = [m for m in messages if m.get("event") == "activity"]
        assert [m["data"]["text"] for m in activity] == ["Riverside Homes confirmed £250,000 covering 1,000 homes"]
        assert messages[-1]["data"]["totals"]["pledged_pence"] == 250_000_00
    finally:
        reader.close()


def test_last_event_id_resumes_after_it(app, api, scene):
    pledge_as(app, scene.riverside, scene.bid_id, 100_000_00)
    pledge_as(app, scene.other, scene.bid_id, 200_000_00)
    token = scene.tokens["convenor"]
    reader = Reader(api.get(f"/bids/{scene.bid_id}/events", token, headers={"Last-Event-ID": "0"}))
    ids = [
        int(m["id"])
        for m in reader.until(lambda m: "£200,000" in m.get("data", {}).get("text", ""))
        if m.get("event") == "activity"
    ]
    reader.close()
    assert len(ids) == 2 and ids == sorted(ids)
    reader = Reader(api.get(f"/bids/{scene.bid_id}/events", token, headers={"Last-Event-ID": str(ids[0])}))
    try:
        reader.next_message()  # retry
        assert reader.next_message()["event"] == "snapshot"
        replayed = reader.until(lambda m: m.get("event") == "activity")
        assert [int(m["id"]) for m in replayed if m.get("event") == "activity"] == ids[1:]
    finally:
        reader.close()


def test_a_member_with_hidden_amounts_sees_no_other_organisations_amount(app, api, scene):
    """The token's user is the stream's audience: a member gets what the live page shows that member."""
    pledge_as(app, scene.riverside, scene.bid_id, 10_000_00)  # the member's own pledge
    reader = Reader(api.get(f"/bids/{scene.bid_id}/events", scene.tokens["riverside"]))
    try:
        reader.until(is_snapshot)
        pledge_as(app, scene.other, scene.bid_id, 123_456_00)
        seen = reader.until(lambda m: is_update(m) and "Harbour" in m["data"]["feed_item"])
    finally:
        reader.close()
    activity = [m for m in seen if m.get("event") == "activity"]
    assert activity[-1]["data"]["text"] == "Harbour Light Homes made a confirmed pledge"
    assert "12345600" not in reader.raw and "123,456" not in reader.raw
    # With one other organisation the total would be its amount: the total shows only the member's own.
    assert seen[-1]["data"]["totals"]["pledged_pence"] == 10_000_00 and "£133,456" not in reader.raw


STREAM_WHO = {
    "anonymous": (None, 401),
    "other convenor": ("stranger", 404),
    "member of another bid": ("elsewhere", 404),
    "invited, not joined": ("invited", 404),
}


@pytest.mark.parametrize("who", STREAM_WHO)
def test_the_stream_is_for_those_who_may_see_the_bid(api, scene, who):
    attr, status = STREAM_WHO[who]
    response = api.get(f"/bids/{scene.bid_id}/events", scene.tokens[attr] if attr else None)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert api.get("/bids/999999/events", scene.tokens["convenor"]).status_code == 404


def test_a_member_may_stream(api, scene):
    reader = Reader(api.get(f"/bids/{scene.bid_id}/events", scene.tokens["other"]))
    try:
        assert reader.response.status_code == 200
        assert reader.until(is_snapshot)[-1]["data"]["totals"]["pledged_pence"] == 0
    finally:
        reader.close()
