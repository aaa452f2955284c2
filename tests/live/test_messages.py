"""Each event's messages are built once per audience, whatever the number of streams or workers; a member
never receives another organisation's figures or a message built for another organisation; a resumed stream
gets a snapshot and the lines it missed, with nothing rebuilt for it."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.infra.broker import RedisBroker
from app.live import messages
from app.models import Bid, User
from app.services import pledges
from tests.conftest import need, port_open
from tests.factories import PASSWORD
from tests.live.helpers import Reader, make_scene, pledge_as

REDIS = "redis://127.0.0.1:6379/0"


def is_update(m):
    return m.get("event") == "update"


def logged_in(make_browser, email):
    browser = make_browser()
    browser.login(email, PASSWORD)
    return browser.client


class Stream(threading.Thread):
    """One open stream, read in its own thread (a suspended stream keeps its request context pushed in the
    thread that reads it, so several at once need a thread each) until a message matches ``until``."""

    def __init__(self, client, url: str, until) -> None:
        super().__init__(daemon=True)
        self.client, self.url, self.predicate = client, url, until
        self.ready, self.done = threading.Event(), threading.Event()
        self.seen: list[dict] = []
        self.raw = ""
        self.error: BaseException | None = None

    def run(self) -> None:
        reader = Reader(self.client.get(self.url))
        try:
            reader.until(lambda m: m.get("event") == "snapshot")
            self.ready.set()
            self.seen = reader.until(self.predicate, seconds=15)
        except BaseException as exc:  # reported by result()
            self.error = exc
        finally:
            self.raw = reader.raw
            reader.close()
            self.ready.set()
            self.done.set()

    def result(self) -> list[dict]:
        assert self.done.wait(20), "the stream never finished"
        if self.error is not None:
            raise self.error
        return self.seen


def open_streams(make_browser, bid_id, until, *emails) -> list[Stream]:
    clients = [logged_in(make_browser, email) for email in emails]  # log in before any stream opens
    streams = [Stream(client, f"/bids/{bid_id}/events", until) for client in clients]
    for stream in streams:
        stream.start()
    for stream in streams:
        assert stream.ready.wait(15)
    return streams


@pytest.fixture
def counted(monkeypatch):
    """Every build, by (event id, audience key): counts, not times."""
    built: Counter = Counter()
    real = messages.build

    def build(app, bid_id, change, audience, members=None):
        built[(change.id, messages.audience_key(audience, members))] += 1
        return real(app, bid_id, change, audience, members)

    monkeypatch.setattr(messages, "build", build)
    return built


def test_one_build_per_event_per_audience_however_many_streams(app, make_browser, counted):
    scene = make_scene(app, show_amounts=False)
    emails = [scene.convenor] * 3 + [scene.riverside] * 3 + [scene.other] * 2
    streams = open_streams(make_browser, scene.bid_id, lambda m: is_update(m) and m["id"] == "2", *emails)
    pledge_as(app, scene.riverside, scene.bid_id, 100_000_00)
    pledge_as(app, scene.other, scene.bid_id, 50_000_00)
    for stream in streams:
        assert [m["id"] for m in stream.result() if is_update(m)] == ["1", "2"]
    with app.app_context():
        orgs = {
            name: db.session.scalar(sa.select(User.organisation_id).where(User.email == getattr(scene, name)))
            for name in ("riverside", "other")
        }
    keys = ("convenor", f"org-{orgs['riverside']}", f"org-{orgs['other']}")
    # Eight streams, two events, three audiences: six builds, each once.
    assert counted == Counter({(event, key): 1 for event in (1, 2) for key in keys})
    assert messages.hub_for(app).builds == Counter({(scene.bid_id, event, key): 1 for event in (1, 2) for key in keys})


def test_a_convenor_stream_gets_the_page_of_the_table_it_shows_built_once_per_page(app, make_browser, counted):
    scene = make_scene(app, show_amounts=True)
    clients = [logged_in(make_browser, scene.convenor) for _ in range(3)]
    urls = [f"/bids/{scene.bid_id}/events", f"/bids/{scene.bid_id}/events?sort=name", f"/bids/{scene.bid_id}/events"]
    streams = [Stream(client, url, is_update) for client, url in zip(clients, urls, strict=True)]
    for stream in streams:
        stream.start()
    for stream in streams:
        assert stream.ready.wait(15)
    pledge_as(app, scene.riverside, scene.bid_id, 100_000_00)
    tables = [stream.result()[-1]["data"]["fragments"]["members"] for stream in streams]
    assert all("Riverside Homes" in table for table in tables)
    assert 'aria-sort="ascending"' in tables[1] and 'aria-sort="ascending"' not in tables[0]
    # Two views of the table, three streams: two builds for the convenor, the default page shared.
    assert sorted(counted.values()) == [1, 1] and len(counted) == 2


def test_a_member_never_receives_another_organisations_figures_or_message(app, make_browser, counted):
    scene = make_scene(app, show_amounts=False)
    harbour, riverside = open_streams(make_browser, scene.bid_id, is_update, scene.other, scene.riverside)
    pledge_as(app, scene.riverside, scene.bid_id, 123_456_00)
    mine, theirs = riverside.result(), harbour.result()
    # Riverside's own message carries its figures; the one Harbour gets was built for Harbour and has none.
    assert "123,456" in mine[-1]["data"]["feed_item"]
    [row] = theirs[-1]["data"]["rows"]
    assert row["member"] is not None and "amount_pence" not in row["member"] and "homes" not in row["member"]
    assert "Riverside Homes" in row["html"] and "123,456" not in row["html"]
    assert "12345600" not in harbour.raw and "123,456" not in harbour.raw
    assert theirs[-1]["data"]["totals"]["pledged_pence"] == 0  # one other organisation: nothing released yet
    assert len(counted) == 2  # two audiences, two messages: never one reused across organisations


def test_a_withdrawn_pledge_sends_its_row_as_gone(app, make_browser):
    scene = make_scene(app, show_amounts=True)
    pledge_as(app, scene.riverside, scene.bid_id, 100_000_00)
    pledge_as(app, scene.other, scene.bid_id, 50_000_00)
    [stream] = open_streams(make_browser, scene.bid_id, is_update, scene.convenor)
    with app.app_context(), app.test_request_context():
        user = db.session.scalar(sa.select(User).where(User.email == scene.other))
        pledges.withdraw_pledge(user, db.session.get(Bid, scene.bid_id), expected_version=None)
        db.session.commit()
        db.session.remove()
    update = stream.result()[-1]["data"]
    assert update["rows"] == []  # a convenor's update carries the page of the table shown, not rows
    table = update["fragments"]["members"]
    assert "Harbour Light Homes" not in table and "Riverside Homes" in table
    assert "Total, all 1 members" in table and "£100,000" in table


def test_a_resumed_stream_gets_a_snapshot_and_the_lines_it_missed_with_nothing_rebuilt(app, make_browser, counted):
    scene = make_scene(app, show_amounts=True)
    for email, pence in ((scene.riverside, 100_000_00), (scene.other, 200_000_00), (scene.riverside, 150_000_00)):
        pledge_as(app, email, scene.bid_id, pence)
    client = logged_in(make_browser, scene.convenor)
    reader = Reader(client.get(f"/bids/{scene.bid_id}/events", headers={"Last-Event-ID": "1"}))
    try:
        reader.next_message()  # retry
        snapshot = reader.next_message()
        assert snapshot["event"] == "snapshot" and snapshot["id"] == "3"
        assert snapshot["data"]["totals"]["pledged_pence"] == 350_000_00
        assert "Harbour Light Homes" in snapshot["data"]["fragments"]["members"]
        missed = [reader.next_message() for _ in range(2)]
        assert [(m["event"], m["id"]) for m in missed] == [("activity", "2"), ("activity", "3")]
        pledge_as(app, scene.other, scene.bid_id, 210_000_00)
        assert reader.until(is_update)[-1]["id"] == "4"
    finally:
        reader.close()
    assert counted == Counter({(4, "convenor"): 1})  # the missed events' lines came from the log, unbuilt


@pytest.mark.redis
def test_two_workers_build_each_message_once_and_the_other_forwards_it():
    need(port_open("127.0.0.1", 6379), "Redis on 127.0.0.1:6379")
    prefix = f"live-test-{uuid.uuid4().hex[:8]}"
    brokers = [RedisBroker(REDIS, prefix, fallback_poll=0.5), RedisBroker(REDIS, prefix, fallback_poll=0.5)]
    hubs = [messages.MessageHub(b, wait=5) for b in brokers]
    try:
        for broker in brokers:
            broker.ensure_listening()
        deadline = time.monotonic() + 5
        while not all(b.healthy for b in brokers) and time.monotonic() < deadline:
            time.sleep(0.02)
        builds: list[str] = []
        results: list[str] = []

        def make():
            time.sleep(0.05)
            builds.append(threading.current_thread().name)
            return "id: 9\nevent: update\ndata: {}\n\n"

        threads = [
            threading.Thread(target=lambda hub=hub: results.append(hub.get(1, 9, "convenor", make)), name=f"w{i}")
            for i, hub in enumerate(hubs * 10)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(builds) == 1  # twenty streams over two workers, one build
        assert results == ["id: 9\nevent: update\ndata: {}\n\n"] * 20
        assert sum(hub.builds[(1, 9, "convenor")] for hub in hubs) == 1
        assert brokers[0].latest(1) == 9 or brokers[1].latest(1) == 9  # the message also says there is news
    finally:
        for broker in brokers:
            broker.close()
