"""The broker: in-process wake-ups, Redis fan-out across brokers (as across workers), and Redis being down."""

from __future__ import annotations

import logging
import threading
import time
import uuid

import pytest

from app.infra.broker import InProcessBroker, RedisBroker, make_broker
from tests.conftest import need, port_open

REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture(autouse=True)
def _broker_logger_enabled(monkeypatch):
    # Alembic's logging fileConfig (run by the app fixture's upgrade) disables loggers that already exist.
    monkeypatch.setattr(logging.getLogger("app.infra.broker"), "disabled", False)


def publish_later(broker, bid_id, event_id, delay=0.05):
    timer = threading.Timer(delay, broker.publish, args=(bid_id, event_id))
    timer.start()
    return timer


def test_in_process_wait_wakes_on_publish():
    broker = InProcessBroker()
    publish_later(broker, 7, 3)
    started = time.monotonic()
    assert broker.wait(7, 0, timeout=5) is True
    assert time.monotonic() - started < 2
    assert broker.latest(7) == 3


def test_in_process_wait_times_out_without_news():
    broker = InProcessBroker()
    broker.publish(7, 3)
    started = time.monotonic()
    assert broker.wait(7, 3, timeout=0.2) is False  # nothing newer than 3
    assert time.monotonic() - started >= 0.19


def test_in_process_waits_are_capped_so_streams_read_what_other_workers_wrote():
    # Several workers and no Redis: a change another worker took is found at the next capped wake-up.
    broker = InProcessBroker(fallback_poll=0.2)
    started = time.monotonic()
    assert broker.wait(7, 0, timeout=30) is False
    assert time.monotonic() - started < 2


def test_in_process_other_bids_do_not_wake_a_stream():
    broker = InProcessBroker()
    publish_later(broker, 8, 99)
    assert broker.wait(7, 0, timeout=0.3) is False
    assert broker.latest(7) == 0 and broker.latest(8) == 99


def test_in_process_latest_never_goes_back():
    broker = InProcessBroker()
    broker.publish(1, 10)
    broker.publish(1, 4)  # a late, older message
    assert broker.latest(1) == 10


def test_make_broker_is_in_process_without_redis_url(app):
    assert isinstance(make_broker(app), InProcessBroker)
    assert not isinstance(make_broker(app), RedisBroker)


def test_make_broker_uses_redis_when_configured(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS)
    monkeypatch.setitem(app.config, "REDIS_CHANNEL_PREFIX", "live-test")
    broker = make_broker(app)
    try:
        assert isinstance(broker, RedisBroker)
        assert broker.channel(5) == "live-test:5"
    finally:
        broker.close()


@pytest.fixture
def redis_pair():
    need(port_open("127.0.0.1", 6379), "Redis on 127.0.0.1:6379")
    prefix = f"live-test-{uuid.uuid4().hex[:8]}"
    brokers = [RedisBroker(REDIS, prefix), RedisBroker(REDIS, prefix)]
    yield brokers
    for broker in brokers:
        broker.close()


@pytest.mark.redis
def test_redis_publish_in_one_broker_wakes_another(redis_pair):
    worker_a, worker_b = redis_pair
    worker_b.ensure_listening()
    deadline = time.monotonic() + 5
    while not worker_b.healthy and time.monotonic() < deadline:
        time.sleep(0.02)
    assert worker_b.healthy
    publish_later(worker_a, 42, 17)
    started = time.monotonic()
    assert worker_b.wait(42, 0, timeout=5) is True
    assert time.monotonic() - started < 2
    assert worker_b.latest(42) == 17
    assert worker_b.wait(43, 0, timeout=0.2) is False  # another bid's channel stayed quiet


@pytest.mark.redis
def test_redis_publisher_wakes_its_own_streams_without_a_round_trip(redis_pair):
    worker_a, _ = redis_pair
    worker_a.publish(3, 9)
    assert worker_a.wait(3, 0, timeout=0.01) is True


@pytest.mark.redis
def test_redis_listener_ignores_malformed_messages(redis_pair, caplog):
    import redis

    worker_a, worker_b = redis_pair
    worker_b.ensure_listening()
    deadline = time.monotonic() + 5
    while not worker_b.healthy and time.monotonic() < deadline:
        time.sleep(0.02)
    client = redis.Redis.from_url(REDIS)
    with caplog.at_level(logging.WARNING, logger="app.infra.broker"):
        client.publish(f"{worker_b.prefix}:notanumber", "1")
        client.publish(f"{worker_b.prefix}:4", "garbage")
        client.publish(f"{worker_b.prefix}:4:m", "no header line")  # a message channel without "<id> <key>\n"
        client.publish(f"{worker_b.prefix}:4:x", "3")
        worker_a.publish(4, 2)
        assert worker_b.wait(4, 0, timeout=5) is True
    client.close()
    assert worker_b.latest(4) == 2
    assert "malformed" in caplog.text


def test_redis_down_publish_logs_and_does_not_raise(caplog):
    broker = RedisBroker("redis://127.0.0.1:1/0", "down-test", fallback_poll=0.2)
    try:
        with caplog.at_level(logging.WARNING, logger="app.infra.broker"):
            broker.publish(1, 5)  # must not raise
        assert "could not publish" in caplog.text
        assert broker.latest(1) == 5  # this process's streams still hear of it
        started = time.monotonic()
        # Another worker's stream: no news arrives, and the wait is capped so the stream reads the database.
        assert broker.wait(2, 0, timeout=30) is False
        assert time.monotonic() - started < 2
        assert broker.healthy is False
    finally:
        broker.close()
