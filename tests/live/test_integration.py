"""The real thing: gunicorn with two gthread workers, Redis pub/sub and the shared database. A client holds a
stream; pledges arrive through the web (on whichever worker takes them) and from another process (this one),
and each reaches the stream."""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid

import httpx
import pytest

from app.infra.broker import RedisBroker
from tests.conftest import need, port_open
from tests.factories import PASSWORD
from tests.live.helpers import make_scene, pledge_as
from tests.live.server import csrf, gunicorn, have_gunicorn, login

pytestmark = [pytest.mark.slow, pytest.mark.redis]
REDIS = "redis://127.0.0.1:6379/0"


def listen(client, url: str, out: queue.Queue, stop: threading.Event) -> None:
    """Put each SSE message (event, id, data) on ``out`` until stopped."""
    try:
        with client.stream("GET", url, timeout=httpx.Timeout(10, read=30)) as response:
            out.put(("status", response.status_code, response.headers.get("x-accel-buffering")))
            block: dict = {}
            for line in response.iter_lines():
                if stop.is_set():
                    return
                if line == "":
                    if "event" in block:
                        out.put((block["event"], block.get("id"), json.loads(block.get("data", "null"))))
                    block = {}
                elif not line.startswith(":"):
                    field, _, value = line.partition(":")
                    block[field] = value.lstrip(" ")
    except Exception as exc:  # surfaced by the test through the queue
        out.put(("error", repr(exc), None))


def wait_for(out: queue.Queue, predicate, seconds: float = 10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            item = out.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        assert item[0] != "error", item
        if predicate(item):
            return item
    raise AssertionError("the event did not arrive in time")


def test_a_pledge_taken_anywhere_reaches_a_stream_held_by_a_gunicorn_worker(app, database_url, tmp_path):
    need(port_open("127.0.0.1", 6379), "Redis on 127.0.0.1:6379")
    need(have_gunicorn(), "gunicorn in the virtualenv")
    scene = make_scene(app, show_amounts=False)
    prefix = f"live-it-{uuid.uuid4().hex[:8]}"
    env = {"REDIS_URL": REDIS, "REDIS_CHANNEL_PREFIX": prefix, "SSE_HEARTBEAT_SECONDS": "10"}
    with gunicorn(database_url, tmp_path, workers=2, env=env) as base:
        watcher = httpx.Client(base_url=base, timeout=30)
        member = httpx.Client(base_url=base, timeout=30)
        login(watcher, scene.convenor, PASSWORD)
        login(member, scene.riverside, PASSWORD)
        out: queue.Queue = queue.Queue()
        stop = threading.Event()
        thread = threading.Thread(target=listen, args=(watcher, f"/bids/{scene.bid_id}/events", out, stop), daemon=True)
        thread.start()
        try:
            assert wait_for(out, lambda i: i[0] == "status")[1:] == (200, "no")
            assert wait_for(out, lambda i: i[0] == "snapshot")[2]["totals"]["pledged_pence"] == 0

            # 1. Through the web: the pledge form, on whichever worker the kernel hands it to.
            form = f"/bids/{scene.bid_id}/pledge"
            posted = member.post(
                form,
                data={
                    "csrf_token": csrf(member, form),
                    "amount": "250,000",
                    "homes": "12400",
                    "regions": "NW",
                    "statement": "Community grants.",
                    "status": "confirmed",
                    "accept_terms": "y",
                    "version": "0",
                },
            )
            assert posted.status_code == 302, posted.text[:500]
            started = time.monotonic()
            item = wait_for(out, lambda i: i[0] == "activity")
            assert item[2]["text"] == "Riverside Homes confirmed £250,000 covering 12,400 homes"
            assert time.monotonic() - started < 2
            assert wait_for(out, lambda i: i[0] == "update")[2]["totals"]["pledged_pence"] == 250_000_00

            # 2. From another process altogether (this one), which publishes to Redis after its commit.
            pledge_as(app, scene.other, scene.bid_id, 100_000_00)
            with app.app_context():
                from app.services import snapshots as live

                latest = live.latest_event_id(scene.bid_id)
            publisher = RedisBroker(REDIS, prefix)
            started = time.monotonic()
            publisher.publish(scene.bid_id, latest)
            publisher.close()
            item = wait_for(out, lambda i: i[0] == "activity")
            assert item[1] == str(latest) and item[2]["text"].startswith("Harbour Light Homes confirmed £100,000")
            assert time.monotonic() - started < 2  # woken by Redis: the stream would not otherwise read for 10 s
            assert wait_for(out, lambda i: i[0] == "update")[2]["totals"]["pledged_pence"] == 350_000_00
        finally:
            stop.set()
            watcher.close()
            member.close()
            thread.join(timeout=5)
