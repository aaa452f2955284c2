"""Access for a worker's open streams, checked once per event for all of them.

A stream asks, before it sends a change, whether its viewer may still see the bid (docs/live.md, "Access as
it is now, on every batch"). Asked one stream at a time that is a query or two per stream per event; here the
first stream of the worker to wake for an event checks every viewer the worker's streams of that bid have
open (``snapshots.audiences_now``: four queries whatever their number), and the others take their answer.
Each stream still checks its own session timeout, which needs no query.
"""

from __future__ import annotations

import threading
from collections import Counter

from flask import Flask

from app.infra import clock
from app.services import snapshots


class AccessGate:
    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._open: dict[int, Counter[snapshots.Viewer]] = {}
        self._locks: dict[int, threading.Lock] = {}
        #: bid → (the event id the answers are for, the answers by viewer key)
        self._answers: dict[int, tuple[int, dict[tuple, snapshots.Audience | None]]] = {}
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

    def audience(self, viewer: snapshots.Viewer, bid_id: int, event_id: int) -> snapshots.Audience | None:
        """What the viewer may see now, asked at most once per event for all the worker's viewers of the bid."""
        if viewer.expires_at is not None and clock.now() >= viewer.expires_at:
            return None
        key = snapshots.viewer_key(viewer)
        with self._guard:
            lock = self._locks.setdefault(bid_id, threading.Lock())
        with lock:
            top, answers = self._answers.get(bid_id, (-1, {}))
            if top >= event_id and key in answers:
                return answers[key]
            with self._guard:
                viewers = {*self._open.get(bid_id, ()), viewer}
            answers = snapshots.audiences_now(list(viewers), bid_id)
            self.checks += 1
            self._answers[bid_id] = (event_id, answers)
            return answers[key]


_lock = threading.Lock()


def gate_for(app: Flask) -> AccessGate:
    gate = app.extensions.get("live_gate")
    if gate is None:
        with _lock:
            gate = app.extensions.setdefault("live_gate", AccessGate())
    return gate
