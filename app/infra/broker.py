"""The live area's publish/subscribe broker: it wakes the stream views (app.live) after a commit.

The database is the truth (``bid_events`` rows); the broker says "bid N has news up to event M", and carries
each event's finished messages (``share``): one worker builds the message for an event and an audience
(whoever wins ``claim``), the others only forward its text to their streams (app.live.messages). In-process
by default; Redis pub/sub when ``REDIS_URL`` is set, so every worker's streams wake. A lost message costs
latency, never an event: a stream whose wait times out reads the rows anyway, and a worker that waited in
vain for another's message builds it itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import defaultdict

from app.infra.redis_pool import make_pool

log = logging.getLogger(__name__)


class InProcessBroker:
    """Wakes waiting streams in this process."""

    #: False: this broker cannot reach streams held by other processes, so waits are capped at
    #: ``fallback_poll`` when one is set (``make_broker`` sets it; one process alone loses nothing by it).
    healthy = False

    def __init__(self, *, fallback_poll: float | None = None) -> None:
        #: cap on a wait, so a stream re-reads the database this often: with several worker processes and
        #: no Redis, a change taken by another worker is found within this time instead of a heartbeat
        self.fallback_poll = fallback_poll
        self._lock = threading.Lock()
        #: one condition per bid over one lock: news of one bid wakes only that bid's streams
        self._conds: dict[int, threading.Condition] = {}
        self._latest: dict[int, int] = defaultdict(int)
        #: bumped to wake every waiter at once (for example after Redis comes back: messages may be lost)
        self._epoch = 0

    def _cond(self, bid_id: int) -> threading.Condition:  # call with self._lock held
        cond = self._conds.get(bid_id)
        if cond is None:
            cond = self._conds[bid_id] = threading.Condition(self._lock)
        return cond

    #: called with (bid_id, event_id, audience_key, text) for each message another worker shared
    message_sink = None

    def publish(self, bid_id: int, event_id: int) -> None:
        self._note(bid_id, event_id)

    def claim(self, bid_id: int, event_id: int, key: str) -> bool:
        """Whether this process builds the event's message for the audience (in-process: always)."""
        return True

    def share(self, bid_id: int, event_id: int, key: str, text: str) -> None:
        """Hand a finished message to the other processes (in-process: there are none)."""

    def _note(self, bid_id: int, event_id: int) -> None:
        with self._lock:
            if event_id > self._latest[bid_id]:  # only news wakes anyone: the same id heard again does not
                self._latest[bid_id] = event_id
                self._cond(bid_id).notify_all()

    def _wake_all(self) -> None:
        with self._lock:
            self._epoch += 1
            for cond in self._conds.values():
                cond.notify_all()

    def latest(self, bid_id: int) -> int:
        """The newest event id this process has heard of for the bid (0 when none)."""
        with self._lock:
            return self._latest.get(bid_id, 0)

    def wait(self, bid_id: int, after_id: int, timeout: float) -> bool:
        """Block until an event newer than ``after_id`` is published for the bid, or the timeout passes.

        True means "there is news"; False means the timeout passed (or every waiter was woken to re-read).
        Either way the caller reads the database next.
        """
        if self.fallback_poll is not None and not self.healthy:
            timeout = min(timeout, self.fallback_poll)
        with self._lock:
            epoch = self._epoch
            return (
                self._cond(bid_id).wait_for(
                    lambda: self._latest.get(bid_id, 0) > after_id or self._epoch != epoch, timeout=timeout
                )
                and self._latest.get(bid_id, 0) > after_id
            )

    def close(self) -> None:
        pass


class RedisBroker(InProcessBroker):
    """Publishes to Redis; one listener thread per process fans messages out to this process's streams.

    Channel ``<prefix>:<bid_id>``, message the event id. If Redis is down, ``publish`` logs and returns
    (streams in this process still wake), and waits are capped at ``fallback_poll`` seconds so that the
    streams of other processes find the new rows by reading the database.
    """

    def __init__(self, url: str, prefix: str = "bids", *, fallback_poll: float = 3.0, pool=None) -> None:
        import redis

        super().__init__(fallback_poll=fallback_poll)
        self.url = url
        self.prefix = prefix
        if pool is not None:  # sized to the worker's threads (app.infra.redis_pool)
            self._client = redis.Redis(connection_pool=pool)
        else:
            self._client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        self._listener: threading.Thread | None = None
        self._listener_pid: int | None = None
        self._stop = threading.Event()
        self._subscribed = threading.Event()
        self._start_lock = threading.Lock()
        self._last_warning = 0.0

    @property
    def healthy(self) -> bool:  # type: ignore[override]
        return self._subscribed.is_set()

    def channel(self, bid_id: int) -> str:
        return f"{self.prefix}:{bid_id}"

    def message_channel(self, bid_id: int) -> str:
        return f"{self.prefix}:{bid_id}:m"

    def claim(self, bid_id: int, event_id: int, key: str) -> bool:
        """One builder per event and audience across every worker: the first ``SET NX`` wins. Redis down: build."""
        try:
            return bool(self._client.set(f"{self.prefix}:claim:{bid_id}:{event_id}:{key}", "1", nx=True, ex=120))
        except Exception as exc:
            self._warn("could not claim bid %s event %s for %s in Redis: %s", bid_id, event_id, key, exc)
            return True

    def share(self, bid_id: int, event_id: int, key: str, text: str) -> None:
        """Publish the finished message (``<event id> <audience key>``, a newline, the SSE text)."""
        try:
            self._client.publish(self.message_channel(bid_id), f"{event_id} {key}\n{text}")
        except Exception as exc:  # the others wait briefly, then build it themselves
            self._warn("could not share bid %s event %s with Redis: %s", bid_id, event_id, exc)

    def publish(self, bid_id: int, event_id: int) -> None:
        self._note(bid_id, event_id)  # this process's streams need no round trip
        try:
            self._client.publish(self.channel(bid_id), str(event_id))
        except Exception as exc:  # Redis down: the row is committed; other workers find it by polling
            self._warn("could not publish bid %s event %s to Redis: %s", bid_id, event_id, exc)

    def wait(self, bid_id: int, after_id: int, timeout: float) -> bool:
        self.ensure_listening()
        return super().wait(bid_id, after_id, timeout)

    def ensure_listening(self) -> None:
        """Start the listener thread in this process (again after a fork), once."""
        pid = os.getpid()
        if self._listener is not None and self._listener_pid == pid and self._listener.is_alive():
            return
        with self._start_lock:
            if self._listener is not None and self._listener_pid == pid and self._listener.is_alive():
                return
            self._stop.clear()
            self._subscribed.clear()
            self._listener_pid = pid
            self._listener = threading.Thread(target=self._listen, name="redis-broker", daemon=True)
            self._listener.start()

    def _listen(self) -> None:
        import redis

        pattern = f"{self.prefix}:*"
        backoff = 0.2
        while not self._stop.is_set():
            pubsub = None
            try:
                conn = redis.Redis.from_url(self.url, socket_connect_timeout=1.0, health_check_interval=30)
                pubsub = conn.pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(pattern)
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if not self._subscribed.is_set():
                        self._subscribed.set()
                        backoff = 0.2
                        # Messages published while we were not listening are lost: make everyone re-read.
                        self._wake_all()
                    if message is None or message.get("type") != "pmessage":
                        continue
                    self._deliver(message)
            except Exception as exc:
                self._subscribed.clear()
                self._warn("Redis listener lost its connection (%s); retrying in %.1fs", exc, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                if pubsub is not None:
                    with contextlib.suppress(Exception):  # closing a dead connection may fail too
                        pubsub.close()
        self._subscribed.clear()

    def _deliver(self, message: dict) -> None:
        try:
            channel = message["channel"].decode() if isinstance(message["channel"], bytes) else message["channel"]
            parts = channel[len(self.prefix) + 1 :].split(":")
            bid_id = int(parts[0])
            data = message["data"].decode() if isinstance(message["data"], bytes) else str(message["data"])
            if parts[1:] == ["m"]:  # a finished message: "<event id> <audience key>\n<text>"
                head, text = data.split("\n", 1)
                event, key = head.split(" ", 1)
                event_id = int(event)
            elif len(parts) == 1:
                event_id, key, text = int(data), None, None
            else:
                raise ValueError(channel)
        except (KeyError, ValueError, IndexError, AttributeError, UnicodeDecodeError):
            log.warning("ignoring malformed broker message %r", message)
            return
        if key is not None and self.message_sink is not None:
            self.message_sink(bid_id, event_id, key, text)
        self._note(bid_id, event_id)

    def _warn(self, msg: str, *args) -> None:
        now = time.monotonic()
        if now - self._last_warning > 10:  # one line per 10 s, not one per request
            self._last_warning = now
            log.warning(msg, *args)

    def close(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=3)
        self._wake_all()
        with contextlib.suppress(Exception):
            self._client.close()


def make_broker(app) -> InProcessBroker:
    """The broker the configuration asks for: Redis when ``REDIS_URL`` is set, else in-process."""
    url = app.config.get("REDIS_URL")
    poll = float(app.config.get("SSE_FALLBACK_POLL_SECONDS", 3))
    if url:
        prefix = app.config.get("REDIS_CHANNEL_PREFIX") or "bids"
        return RedisBroker(url, prefix, fallback_poll=poll, pool=make_pool(app, url))
    return InProcessBroker(fallback_poll=poll)
