"""Each event's finished messages, built once per audience and shared by every worker's streams.

When a change commits, the streams that wake need, per event and per audience (``snapshots.Audience.key``),
the SSE text to send: the ``activity`` message (the feed line's data) and the ``update`` message (what
changed: the figures, the small fragments, the changed member row, the feed line). The first stream in any
worker to need one claims it through the broker (``broker.claim``: Redis ``SET NX``, so exactly one worker
builds it), builds it, keeps it and shares the text (``broker.share``: Redis pub/sub); every other stream,
in this worker or another, takes the text as it is and writes it to its socket. So an event costs one build
per audience that is watching, whatever the number of streams and workers.

If the builder's text does not arrive within ``wait`` seconds (Redis lost it, the builder died), a worker
builds it itself: a message may then be built twice, never lost.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable

from flask import Flask

from app.extensions import db
from app.live import render
from app.models import Bid
from app.services import snapshots
from app.services.member_table import MemberQuery


def sse(data: str, *, event: str, event_id: int | None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {data}\n\n"


def dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def audience_key(audience: snapshots.Audience, members: MemberQuery | None = None) -> str:
    """Which message a stream needs: its audience's, and for a convenor the page of the members table shown."""
    if not audience.convenor or members is None or members.key == MemberQuery().key:
        return audience.key  # the first page by amount, the table as the dashboard opens
    return f"{audience.key}|" + ",".join(str(part) for part in members.key)


def build(app: Flask, bid_id: int, change, audience: snapshots.Audience, members: MemberQuery | None = None) -> str:
    """The SSE text for one event and one audience ("" when the audience may not see the event); a convenor's
    carries the page of the members table that ``members`` asks for."""
    item = snapshots.visible_event(change, audience)
    if item is None:
        return ""
    bid = db.session.get(Bid, bid_id)
    if bid is None:
        return ""
    snap = snapshots.snapshot(
        bid, audience, projection_hours=app.config["LIVE_PROJECTION_HOURS"], members=members, change=change
    )
    update = render.update(snap, change)
    return sse(dumps(item), event="activity", event_id=change.id) + sse(
        dumps(update), event="update", event_id=change.id
    )


class MessageHub:
    """A worker's finished messages per (bid, event, audience key): single-flight, shared across workers."""

    def __init__(self, broker, *, keep: int = 512, wait: float = 2.0) -> None:
        self.broker, self.keep, self.wait = broker, keep, wait
        self._messages: OrderedDict[tuple, str] = OrderedDict()
        self._building: set[tuple] = set()
        self._cond = threading.Condition()
        #: how many times this worker built each (bid, event, audience key): tests count builds with it
        self.builds: Counter[tuple] = Counter()
        broker.message_sink = self.receive

    def receive(self, bid_id: int, event_id: int, key: str, text: str) -> None:
        """A message another worker built (the broker's listener thread calls this)."""
        with self._cond:
            self._store((bid_id, event_id, key), text)
            self._cond.notify_all()

    def _store(self, k: tuple, text: str) -> None:
        self._messages[k] = text
        self._messages.move_to_end(k)
        while len(self._messages) > self.keep:
            self._messages.popitem(last=False)

    def get(self, bid_id: int, event_id: int, key: str, make: Callable[[], str]) -> str:
        """The message, from memory, from the worker that claimed it, or built here (once)."""
        k = (bid_id, event_id, key)
        with self._cond:
            while k in self._building:  # another stream of this worker is building or fetching it
                self._cond.wait(timeout=self.wait)
            if k in self._messages:
                return self._messages[k]
            self._building.add(k)
        try:
            if not self.broker.claim(bid_id, event_id, key):
                ends = time.monotonic() + self.wait
                with self._cond:
                    while k not in self._messages and time.monotonic() < ends:
                        self._cond.wait(timeout=max(ends - time.monotonic(), 0.001))
                    if k in self._messages:
                        return self._messages[k]
            text = make()
            with self._cond:
                self.builds[k] += 1
                self._store(k, text)
            self.broker.share(bid_id, event_id, key, text)
            return text
        finally:
            with self._cond:
                self._building.discard(k)
                self._cond.notify_all()


_hub_lock = threading.Lock()


def hub_for(app: Flask) -> MessageHub:
    hub = app.extensions.get("live_messages")
    if hub is None or hub.broker is not app.extensions["broker"]:
        with _hub_lock:
            hub = app.extensions.get("live_messages")
            if hub is None or hub.broker is not app.extensions["broker"]:
                hub = app.extensions["live_messages"] = MessageHub(app.extensions["broker"])
    return hub
