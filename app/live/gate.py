"""Access for a worker's open streams, checked once per event for all of them.

A stream asks, before it sends a change, whether its viewer may still see the bid (docs/live.md, "Access as
it is now, on every batch"). Asked one stream at a time that is a query or two per stream per event; here the
first stream of the worker to wake for an event checks every viewer the worker's streams of that bid have
open (``snapshots.audiences_now``: four queries whatever their number), and the others take their answer.
Heartbeats take an answer up to a second old the same way. Each stream still checks its own session timeout,
which needs no query.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from flask import Flask

from app.infra import clock
from app.live import workers
from app.services import snapshots


class AccessGate:
    def __init__(self, *, fresh: float = 1.0) -> None:
        self.fresh = fresh
        self.broker = None  #: the broker it was made with (``gate_for``)
        self._guard = threading.Lock()
        self._open: dict[int, Counter[snapshots.Viewer]] = {}
        self._locks: dict[int, threading.Lock] = {}
        #: bid → (the newest event id the answers are for, when they were asked, the answers by viewer key)
        self._answers: dict[int, tuple[int, float, dict[tuple, snapshots.Audience | None]]] = {}
        #: how many bulk checks ran (tests count them)
        self.checks = 0

    def opened(self, bid_id: int, viewer: snapshots.Viewer) -> None:
        with self._guard:
            self._open.setdefault(bid_id, Counter())[viewer] += 1
            self._locks.setdefault(bid_id, threading.Lock())

    def closed(self, bid_id: int, viewer: snapshots.Viewer) -> None:
        with self._guard:
            viewers = self._open.get(bid_id)
            if viewers is None:
                return
            viewers[viewer] -= 1
            if viewers[viewer] <= 0:
                del viewers[viewer]
            if not viewers:
                self._open.pop(bid_id, None)
                self._answers.pop(bid_id, None)

    def audience(self, viewer: snapshots.Viewer, bid_id: int, event_id: int | None = None) -> snapshots.Audience | None:
        """What the viewer may see now, asked at most once per event for all the worker's viewers of the bid.

        Without ``event_id`` (a heartbeat), an answer at most ``fresh`` seconds old is good enough, so a
        worker's heartbeats cost one check a second for all its streams of the bid, not one per stream."""
        now = time.monotonic()
        if viewer.expires_at is not None and clock.now() >= viewer.expires_at:
            return None
        key = snapshots.viewer_key(viewer)
        with self._guard:
            lock = self._locks.setdefault(bid_id, threading.Lock())
        with lock:
            top, at, answers = self._answers.get(bid_id, (-1, 0.0, {}))
            fresh = (top >= event_id) if event_id is not None else (now - at < self.fresh)
            if fresh and key in answers:
                return answers[key]
            with self._guard:
                viewers = {*self._open.get(bid_id, ()), viewer}
            answers = snapshots.audiences_now(list(viewers), bid_id)
            self.checks += 1
            self._answers[bid_id] = (max(top, event_id or -1), time.monotonic(), answers)
            return answers[key]


def gate_for(app: Flask) -> AccessGate:
    """The worker's gate (a new one with a new broker: tests start each with fresh live state)."""
    # A heartbeat may take an answer up to a second old, never older than a quarter of a heartbeat.
    fresh = min(1.0, float(app.config["SSE_HEARTBEAT_SECONDS"]) / 4)
    return workers.per_broker(app, "live_gate", lambda broker: AccessGate(fresh=fresh))
