"""An open stream sends only what its viewer may see now: hiding amounts takes effect on the next batch, and a
viewer who loses access (disabled, logged out elsewhere, organisation no longer joined, token revoked) gets
nothing more; the stream ends at the next event or heartbeat."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Bid, Invitation, InvitationStatus, User
from app.services import api_tokens, bids, users
from app.services import snapshots as live
from tests.api.conftest import token_for
from tests.factories import PASSWORD
from tests.live.helpers import Reader, make_scene, pledge_as


def login(make_browser, email):
    browser = make_browser()
    browser.login(email, PASSWORD)
    return browser.client


def is_snapshot(m):
    return m.get("event") == "snapshot"


def is_update(m):
    return m.get("event") == "update"


def change(app, fn) -> None:
    """Run ``fn`` in a fresh context and commit, as a view would (a suspended stream keeps its own context)."""
    with app.app_context(), app.test_request_context():
        fn()
        db.session.commit()
        db.session.remove()


def user(email: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


def drain(reader: Reader, seconds: float) -> float | None:
    """Read until the stream ends; the seconds it took, or None if it was still open after ``seconds``."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if reader.next_message() is None:
            return time.monotonic() - started
    return None


@pytest.fixture
def long_streams(app, monkeypatch):
    """Heartbeats rare and lifetimes long: a stream that ends quickly ended because access ended."""
    monkeypatch.setitem(app.config, "SSE_HEARTBEAT_SECONDS", 5)
    monkeypatch.setitem(app.config, "SSE_MAX_SECONDS", 60)


def test_hiding_amounts_applies_to_an_open_member_stream_at_the_next_event(app, make_browser, long_streams):
    scene = make_scene(app, show_amounts=True)
    reader = Reader(login(make_browser, scene.riverside).get(f"/bids/{scene.bid_id}/events"))
    try:
        assert reader.until(is_snapshot)[-1]["data"]["bid"]["show_amounts"] is True

        def hide():
            bid = db.session.get(Bid, scene.bid_id)
            bids.update_bid(user(scene.convenor), bid, {"show_amounts": False})

        change(app, hide)
        pledge_as(app, scene.other, scene.bid_id, 123_456_00)
        seen = reader.until(lambda m: is_update(m) and "Harbour" in m["data"]["feed_item"])
    finally:
        reader.close()
    assert seen[-1]["data"]["bid"]["show_amounts"] is False
    assert "12345600" not in reader.raw and "123,456" not in reader.raw
    pledged = [m for m in seen if m.get("data", {}).get("kind") == "pledge.created"]
    assert pledged[0]["data"]["text"] == "Harbour Light Homes made a confirmed pledge"


def test_showing_amounts_again_sends_a_fresh_snapshot_to_an_open_member_stream(app, make_browser, long_streams):
    scene = make_scene(app, show_amounts=False)
    pledge_as(app, scene.other, scene.bid_id, 123_456_00)
    reader = Reader(login(make_browser, scene.riverside).get(f"/bids/{scene.bid_id}/events"))
    try:
        assert "12345600" not in reader.until(is_snapshot)[-1]["data"].__repr__()
        change(
            app,
            lambda: bids.update_bid(user(scene.convenor), db.session.get(Bid, scene.bid_id), {"show_amounts": True}),
        )
        seen = reader.until(lambda m: is_snapshot(m) and m["data"]["bid"]["show_amounts"])
    finally:
        reader.close()
    assert seen[-1]["data"]["members"][0]["amount_pence"] == 123_456_00


LOSSES = {
    "disabled": lambda scene: users.set_enabled(None, user(scene.riverside), False),
    "logged out elsewhere": lambda scene: users.logout(user(scene.riverside)),
    "organisation no longer joined": lambda scene: db.session.execute(
        sa.update(Invitation)
        .where(Invitation.bid_id == scene.bid_id, Invitation.email == scene.riverside)
        .values(status=InvitationStatus.DECLINED)
    ),
}


@pytest.mark.parametrize("loss", LOSSES)
def test_a_member_stream_ends_at_the_next_event_once_access_is_lost(app, make_browser, long_streams, loss):
    scene = make_scene(app, show_amounts=True)
    reader = Reader(login(make_browser, scene.riverside).get(f"/bids/{scene.bid_id}/events"))
    try:
        reader.until(is_snapshot)
        change(app, lambda: LOSSES[loss](scene))
        pledge_as(app, scene.other, scene.bid_id, 123_456_00)  # the next event: never delivered
        took = drain(reader, 3)
    finally:
        reader.close()
    assert took is not None and took < 2, "the stream kept going after access ended"
    assert "Harbour" not in reader.raw and "123,456" not in reader.raw


def test_a_disabled_users_stream_ends_at_the_next_heartbeat_without_any_event(app, make_browser, monkeypatch):
    monkeypatch.setitem(app.config, "SSE_HEARTBEAT_SECONDS", 0.2)
    monkeypatch.setitem(app.config, "SSE_MAX_SECONDS", 60)
    scene = make_scene(app, show_amounts=True)
    reader = Reader(login(make_browser, scene.riverside).get(f"/bids/{scene.bid_id}/events"))
    try:
        reader.until(lambda m: "keep-alive" in m["comments"])
        change(app, lambda: users.set_enabled(None, user(scene.riverside), False))
        took = drain(reader, 3)
    finally:
        reader.close()
    assert took is not None and took < 1.5


def test_a_stream_ends_when_its_session_times_out(app, make_browser, monkeypatch):
    monkeypatch.setitem(app.config, "SSE_HEARTBEAT_SECONDS", 0.2)
    monkeypatch.setitem(app.config, "SSE_MAX_SECONDS", 60)
    monkeypatch.setitem(app.config, "SESSION_IDLE_SECONDS", 1)
    scene = make_scene(app, show_amounts=True)
    reader = Reader(login(make_browser, scene.riverside).get(f"/bids/{scene.bid_id}/events"))
    try:
        took = drain(reader, 4)
    finally:
        reader.close()
    assert took is not None and 0.9 < took < 2.5


def test_a_convenor_who_is_disabled_stops_receiving(app, make_browser, long_streams):
    scene = make_scene(app, show_amounts=True)
    reader = Reader(login(make_browser, scene.convenor).get(f"/bids/{scene.bid_id}/events"))
    try:
        reader.until(is_snapshot)
        change(app, lambda: users.set_enabled(None, user(scene.convenor), False))
        pledge_as(app, scene.other, scene.bid_id, 123_456_00)
        took = drain(reader, 3)
    finally:
        reader.close()
    assert took is not None and "123,456" not in reader.raw


def test_one_access_check_per_delivered_batch_and_no_connection_held_while_waiting(
    app, make_browser, monkeypatch, long_streams
):
    scene = make_scene(app, show_amounts=True)
    calls = []
    real = live.audiences_now
    monkeypatch.setattr(live, "audiences_now", lambda viewers, bid_id: calls.append(bid_id) or real(viewers, bid_id))
    reader = Reader(login(make_browser, scene.convenor).get(f"/bids/{scene.bid_id}/events"))
    try:
        reader.until(is_snapshot)
        pledge_as(app, scene.riverside, scene.bid_id, 100_000_00)
        reader.until(is_update)
        assert len(calls) == 1
        with app.app_context():
            assert db.engine.pool.checkedout() == 0
    finally:
        reader.close()


def test_the_access_check_is_one_per_event_for_every_viewer_the_worker_has_open(app, make_browser):
    """Several viewers' streams in one worker: one bulk check per event, each viewer answered as they are."""
    from app.live.gate import AccessGate

    scene = make_scene(app, show_amounts=True)
    pledge_as(app, scene.riverside, scene.bid_id, 100_000_00)
    gate = AccessGate()
    with app.app_context():
        ids = {name: user(getattr(scene, name)).id for name in ("convenor", "riverside", "other", "elsewhere")}
        viewers = {
            name: live.Viewer(uid, session_version=user(getattr(scene, name)).session_version)
            for name, uid in ids.items()
        }
        for viewer in viewers.values():
            gate.opened(scene.bid_id, viewer)
        seen = {name: gate.audience(viewer, scene.bid_id, 1) for name, viewer in viewers.items()}
        assert gate.checks == 1
        assert seen["convenor"].convenor and not seen["riverside"].convenor and seen["elsewhere"] is None
        assert {name: seen[name] for name in viewers} == {
            name: live.audience_now(viewer, scene.bid_id) for name, viewer in viewers.items()
        }
        users.set_enabled(None, user(scene.riverside), False)
        db.session.commit()
        assert gate.audience(viewers["riverside"], scene.bid_id, 1) is not None  # the same event: its answer
        assert gate.audience(viewers["riverside"], scene.bid_id, 2) is None  # the next event asks again
        assert gate.audience(viewers["other"], scene.bid_id, 2) is not None and gate.checks == 2
        db.session.remove()


# --- the API stream ----------------------------------------------------------------------------------


def api_stream(app, scene, email):
    with app.app_context():
        token = token_for(user(email))
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    response = client.get(f"/api/v1/bids/{scene.bid_id}/events", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return Reader(response)


API_LOSSES = {
    "token revoked": lambda scene: [
        api_tokens.revoke_token(u, t.id) for u in [user(scene.riverside)] for t in api_tokens.tokens_for(u)
    ],
    "user disabled": lambda scene: users.set_enabled(None, user(scene.riverside), False),
}


@pytest.mark.parametrize("loss", API_LOSSES)
def test_an_api_stream_ends_at_the_next_event_once_its_token_or_user_is_no_longer_valid(app, long_streams, loss):
    scene = make_scene(app, show_amounts=True)
    reader = api_stream(app, scene, scene.riverside)
    try:
        reader.until(is_snapshot)
        change(app, lambda: API_LOSSES[loss](scene))
        pledge_as(app, scene.other, scene.bid_id, 123_456_00)
        took = drain(reader, 3)
    finally:
        reader.close()
    assert took is not None and took < 2
    assert "123,456" not in reader.raw


def test_an_api_stream_follows_the_amounts_setting(app, long_streams):
    scene = make_scene(app, show_amounts=True)
    reader = api_stream(app, scene, scene.riverside)
    try:
        reader.until(is_snapshot)
        change(
            app,
            lambda: bids.update_bid(user(scene.convenor), db.session.get(Bid, scene.bid_id), {"show_amounts": False}),
        )
        pledge_as(app, scene.other, scene.bid_id, 123_456_00)
        reader.until(lambda m: is_update(m) and "Harbour" in m["data"]["feed_item"])
    finally:
        reader.close()
    assert "12345600" not in reader.raw and "123,456" not in reader.raw
