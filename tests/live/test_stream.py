"""The SSE stream and live.json through the test client: order, replay, heartbeats, lifetime, permissions,
and what a member with hidden amounts receives."""

from __future__ import annotations

import re
import threading
import time

import pytest

from app.extensions import db
from tests.factories import PASSWORD
from tests.live.helpers import Reader, make_scene, pledge_as


@pytest.fixture
def scene(app):
    return make_scene(app, show_amounts=False)


def login(make_browser, email):
    browser = make_browser()
    browser.login(email, PASSWORD)
    return browser.client


def is_snapshot(m):
    return m.get("event") == "snapshot"


def is_update(m):
    return m.get("event") == "update"


def test_snapshot_first_then_new_events_as_they_commit(app, scene, make_browser):
    client = login(make_browser, scene.convenor)
    response = client.get(f"/bids/{scene.bid_id}/events")
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert response.headers["X-Accel-Buffering"] == "no"
    assert "no-cache" in response.headers["Cache-Control"]
    reader = Reader(response)
    try:
        first = reader.next_message()
        assert first["retry"] == "3000"  # the reconnect hint comes before anything else
        snapshot = reader.next_message()
        assert snapshot["event"] == "snapshot" and snapshot["id"] == "0"
        assert snapshot["data"]["totals"]["pledged_pence"] == 0
        assert set(snapshot["data"]["fragments"]) >= {"figures", "members", "waiting", "regions", "charts", "feed"}
        pledge_as(app, scene.riverside, scene.bid_id, 250_000_00)
        messages = reader.until(is_update)
        activity = [m for m in messages if m.get("event") == "activity"]
        assert len(activity) == 1
        assert activity[0]["data"]["text"] == "Riverside Homes confirmed £250,000 covering 1,000 homes"
        assert activity[0]["id"] == str(activity[0]["data"]["id"])
        latest = messages[-1]
        assert latest["id"] == activity[0]["id"]
        assert latest["data"]["totals"]["pledged_pence"] == 250_000_00
        assert "£250,000" in latest["data"]["fragments"]["figures"]
        # What changed, not the whole page: for a convenor, the page of the members table the stream shows
        # (a change can reorder it), with the organisation's row by its id; and the feed line.
        assert latest["data"]["rows"] == []
        table = latest["data"]["fragments"]["members"]
        assert "Riverside Homes" in table and 'data-organisation-id="' in table and "£250,000" in table
        assert "Riverside Homes confirmed" in latest["data"]["feed_item"]
        assert "feed" not in latest["data"]["fragments"] and "series" not in latest["data"]
    finally:
        reader.close()


@pytest.mark.parametrize("how", ["header", "query"])
def test_replay_everything_after_the_last_event_id(app, scene, make_browser, how):
    for email, pence in ((scene.riverside, 100_000_00), (scene.other, 200_000_00), (scene.riverside, 150_000_00)):
        pledge_as(app, email, scene.bid_id, pence)
    client = login(make_browser, scene.convenor)
    first_stream = Reader(client.get(f"/bids/{scene.bid_id}/events?last_event_id=0"))
    ids = [
        int(m["id"])
        for m in first_stream.until(
            lambda m: m.get("data", {}).get("text", "").endswith("£150,000 covering 1,000 homes")
        )
        if m.get("event") == "activity"
    ]
    first_stream.close()
    assert ids == sorted(ids) and len(ids) == 3
    for k, last in enumerate(ids):
        if how == "header":
            response = client.get(f"/bids/{scene.bid_id}/events?last_event_id=0", headers={"Last-Event-ID": str(last)})
        else:
            response = client.get(f"/bids/{scene.bid_id}/events?last_event_id={last}")
        reader = Reader(response)
        reader.next_message()  # retry
        assert reader.next_message()["event"] == "snapshot"
        replayed = []
        while len(replayed) < len(ids) - k - 1:
            message = reader.next_message()
            if message.get("event") == "activity":
                replayed.append(int(message["id"]))
        assert replayed == ids[k + 1 :]
        reader.close()


def test_heartbeats_while_idle_and_the_stream_ends_at_its_lifetime(app, scene, make_browser, monkeypatch):
    monkeypatch.setitem(app.config, "SSE_HEARTBEAT_SECONDS", 0.1)
    monkeypatch.setitem(app.config, "SSE_MAX_SECONDS", 0.7)
    client = login(make_browser, scene.convenor)
    reader = Reader(client.get(f"/bids/{scene.bid_id}/events"))
    started = time.monotonic()
    messages = []
    while (message := reader.next_message()) is not None:
        messages.append(message)
        if "keep-alive" in message["comments"]:
            with app.app_context():
                # Waiting between reads, the stream holds no database connection (and so no transaction).
                assert db.engine.pool.checkedout() == 0
    assert reader.ended and time.monotonic() - started < 3
    assert sum("keep-alive" in m["comments"] for m in messages) >= 3
    reader.close()


WHO = {
    "anonymous": (None, 401),
    "other convenor": ("stranger", 404),
    "member of another bid": ("elsewhere", 404),
    "invited, not joined": ("invited", 404),
    "convenor": ("convenor", 200),
    "member": ("riverside", 200),
}


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("path", ["events", "live.json"])
def test_permission_matrix(app, scene, make_browser, who, path):
    attr, status = WHO[who]
    client = login(make_browser, getattr(scene, attr)) if attr else app.test_client()
    response = client.get(f"/bids/{scene.bid_id}/{path}")
    assert response.status_code == status
    if status == 200 and path == "events":
        assert Reader(response).until(is_snapshot)[-1]["data"]["bid"]["id"] == scene.bid_id
    response.close()


def test_unknown_bid_is_404(app, scene, make_browser):
    client = login(make_browser, scene.convenor)
    assert client.get("/bids/999999/events").status_code == 404


def test_member_with_hidden_amounts_never_receives_another_organisations_amount(app, scene, make_browser):
    pledge_as(app, scene.riverside, scene.bid_id, 10_000_00)  # the member's own pledge
    member_client, convenor_client = login(make_browser, scene.riverside), login(make_browser, scene.convenor)
    member = Reader(member_client.get(f"/bids/{scene.bid_id}/events?last_event_id=0"))
    try:
        member.until(is_snapshot)
        pledge_as(app, scene.other, scene.bid_id, 123_456_00)
        seen = member.until(lambda m: is_update(m) and "Harbour" in m["data"]["feed_item"])
    finally:
        member.close()
    activity = [m for m in seen if m.get("event") == "activity"]
    assert activity[-1]["data"]["text"] == "Harbour Light Homes made a confirmed pledge"
    assert "amount_pence" not in activity[-1]["data"]["payload"]
    assert activity[0]["data"]["payload"]["amount_pence"] == 10_000_00  # its own pledge, replayed, in full
    assert "12345600" not in member.raw and "123,456" not in member.raw
    # With one other organisation the total would be its amount: the total shows only the member's own.
    assert seen[-1]["data"]["totals"]["pledged_pence"] == 10_000_00 and "£133,456" not in member.raw
    # The same events reach the convenor with the amount: the filter, not the event, hid it.
    convenor = Reader(convenor_client.get(f"/bids/{scene.bid_id}/events?last_event_id=0"))
    try:
        convenor.until(lambda m: m.get("data", {}).get("kind") == "pledge.created" and "Harbour" in m["data"]["text"])
    finally:
        convenor.close()
    assert "12345600" in convenor.raw and "£123,456" in convenor.raw


def test_live_json_gives_the_snapshot_and_events_after(app, scene, make_browser):
    client = login(make_browser, scene.convenor)
    before = client.get(f"/bids/{scene.bid_id}/live.json").get_json()
    assert before["events"] == [] and before["snapshot"]["totals"]["pledged_pence"] == 0
    pledge_as(app, scene.riverside, scene.bid_id, 250_000_00)
    after = client.get(f"/bids/{scene.bid_id}/live.json?after={before['last_event_id']}").get_json()
    assert [e["kind"] for e in after["events"]] == ["pledge.created"]
    assert after["last_event_id"] == after["events"][0]["id"]
    assert after["snapshot"]["totals"]["pledged_pence"] == 250_000_00


@pytest.mark.parametrize("who", ["convenor", "riverside"])
def test_bid_pages_carry_the_live_panel_without_inline_script(app, scene, make_browser, who):
    pledge_as(app, scene.riverside, scene.bid_id, 250_000_00)
    page = login(make_browser, getattr(scene, who)).get(f"/bids/{scene.bid_id}").text
    assert "data-live-root" in page and f'data-stream-url="/bids/{scene.bid_id}/events"' in page
    assert '<script src="/static/js/live.js" defer></script>' in page
    assert '<script src="/static/js/live-patches.js" defer></script>' in page  # before live.js, which uses it
    assert page.index("live-patches.js") < page.index("js/live.js")
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # every script is a file (CSP script-src 'self')
    assert not re.search(r"\sstyle=", page)
    assert '<title id="chart-cum-title">' in page and "The chart's figures as a table" in page
    assert "Riverside Homes" in page and "Latest activity" in page


def test_a_workers_streams_share_one_read_per_change(app, scene):
    """The event log reads the database once per published change, however many streams ask."""
    from app.live.stream import event_log

    pledge_as(app, scene.riverside, scene.bid_id, 100_000_00)
    with app.app_context():
        log = event_log(app)
        assert [r.kind for r in log.after(scene.bid_id, 0, limit=50)] == ["pledge.created"]
        db.session.remove()  # as a stream does after each read (a read transaction sees a fixed snapshot)
        queries = []
        from sqlalchemy import event

        listener = lambda *args: queries.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            pledge_as(app, scene.other, scene.bid_id, 200_000_00)  # publishes to the broker after commit
            before = len(queries)
            seen = [log.after(scene.bid_id, 1, limit=50) for _ in range(20)]  # twenty streams wake
            reads = [q for q in queries[before:] if "bid_events" in q]
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert all([r.id for r in rows] == [2] for rows in seen)
        assert len(reads) == 1
        assert [r.id for r in log.after(scene.bid_id, 0, limit=50)] == [1, 2]
        db.session.remove()


def test_with_redis_down_the_stream_still_delivers_by_reading_the_database(app, scene, make_browser, monkeypatch):
    import logging

    from app.infra.broker import InProcessBroker, RedisBroker
    from app.live.stream import event_log

    monkeypatch.setattr(logging.getLogger("app.infra.broker"), "disabled", True)  # the expected warnings
    monkeypatch.setitem(app.config, "SSE_HEARTBEAT_SECONDS", 10)  # so only the capped wait can find it
    broker = RedisBroker("redis://127.0.0.1:1/0", "down", fallback_poll=0.2)
    app.extensions["broker"] = broker
    client = login(make_browser, scene.convenor)
    reader = Reader(client.get(f"/bids/{scene.bid_id}/events"))
    try:
        reader.until(is_snapshot)
        # Another worker takes the pledge while this stream waits: its publish goes nowhere (Redis is down).
        event_log(app)
        app.extensions["broker"] = InProcessBroker()
        timer = threading.Timer(0.3, pledge_as, args=(app, scene.riverside, scene.bid_id, 90_000_00))
        timer.start()
        started = time.monotonic()
        seen = reader.until(lambda m: is_update(m) and m["data"]["totals"]["pledged_pence"] == 90_000_00)
        timer.join()
        assert time.monotonic() - started < 3  # found by the capped wait's database read, not the 10 s heartbeat
        assert any(m.get("event") == "activity" for m in seen)
    finally:
        reader.close()
        broker.close()


@pytest.mark.parametrize("path", ["events", "live.json"])
def test_streams_and_polls_never_rewrite_the_session_cookie(app, scene, make_browser, path):
    # A stream's response can land after a form post's: a cookie on it would undo the post's (its flash message).
    client = login(make_browser, scene.convenor)
    response = client.get(f"/bids/{scene.bid_id}/{path}")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    response.close()
    assert "Set-Cookie" in client.get(f"/bids/{scene.bid_id}").headers  # an ordinary page still refreshes it
