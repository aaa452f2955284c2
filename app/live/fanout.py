"""A worker's streams of one bid wake once per event, after the event is ready for them.

Without this, every open stream woke on the broker's news and then queued behind the first of them three times
over: for the new rows (``EventLog``), for its viewer's access (``gate``) and for the finished message
(``messages.MessageHub``, which may wait for another worker's text). Each queue is a thread put to sleep and
woken again, so a worker with hundreds of streams paid several thread switches per stream per event.

Here one of the worker's streams of the bid, the *preparer* (whichever is waiting when news comes), does that
work once: it reads the rows, checks every open viewer's access and gets each open audience's message (built,
or taken from the worker that claimed it). Only then are the other streams woken, and each finds all three in
memory and writes its text. The preparer's work only fills those caches: a stream whose answer is not there
(its preparer failed, it opened mid-way) does the same work itself, as before, so nothing depends on it.

The preparer role is held only while waiting: a stream leaves it before it writes to its socket (a slow client
must not hold back the others), and the next waiting stream takes it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from flask import Flask

from app.extensions import db
from app.live import workers
from app.services import snapshots
from app.services.member_table import MemberQuery

log = logging.getLogger(__name__)


@dataclass
class _Bid:
    cond: threading.Condition
    ready: int = 0  #: the newest event id prepared: streams waiting for less than this wake
    preparer: object | None = None  #: the waiting stream that takes the next news
    #: the worker's open streams of the bid: (viewer, audience as opened, page of the table) → how many
    streams: Counter = field(default_factory=Counter)


class Fanout:
    def __init__(self, app: Flask, broker) -> None:
        self.app, self.broker = app, broker
        self._guard = threading.Lock()
        self._bids: dict[int, _Bid] = {}
        #: how many times news was prepared (tests count them)
        self.prepared = 0

    def _bid(self, bid_id: int) -> _Bid:
        with self._guard:
            entry = self._bids.get(bid_id)
            if entry is None:
                entry = self._bids[bid_id] = _Bid(threading.Condition(threading.Lock()))
            return entry

    def opened(self, bid_id: int, spec: tuple) -> None:
        entry = self._bid(bid_id)
        with entry.cond:
            entry.streams[spec] += 1

    def closed(self, bid_id: int, spec: tuple) -> None:
        entry = self._bid(bid_id)
        with entry.cond:
            entry.streams[spec] -= 1
            if entry.streams[spec] <= 0:
                del entry.streams[spec]

    def wait(self, bid_id: int, after_id: int, timeout: float) -> bool:
        """Block until an event newer than ``after_id`` is ready for the worker's streams, or the timeout passes
        (as ``broker.wait``: True means read the rows now). The stream that is waiting when news comes prepares
        it for all of them."""
        entry = self._bid(bid_id)
        ends = time.monotonic() + timeout
        me = object()
        with entry.cond:
            while True:
                if entry.ready > after_id:
                    return True
                left = ends - time.monotonic()
                if left <= 0:
                    return False
                if entry.preparer is None:
                    entry.preparer = me
                if entry.preparer is me:
                    break
                entry.cond.wait(left)
        news, top = False, 0
        try:
            # The preparer waits on the broker; the others on this bid's condition, until the news is ready.
            news = self.broker.wait(bid_id, after_id, max(ends - time.monotonic(), 0.001))
            top = self.broker.latest(bid_id)
            if news and top > after_id:
                self._prepare(bid_id, entry, after_id, top)
        finally:
            with entry.cond:
                entry.preparer = None
                if news and top > entry.ready:
                    entry.ready = top
                    entry.cond.notify_all()  # the news is ready for every stream
                else:
                    entry.cond.notify()  # no news: one waiting stream takes the preparer's place
        return news

    def latest(self, bid_id: int) -> int:
        return max(self._bid(bid_id).ready, self.broker.latest(bid_id))

    def _prepare(self, bid_id: int, entry: _Bid, since: int, top: int) -> None:
        from app.live import gate, messages, stream  # the stream module imports this one

        with entry.cond:
            specs = list(entry.streams)
        try:
            rows = [row for row in stream.event_log(self.app).after(bid_id, since, limit=stream.PAGE) if row.id <= top]
            if not rows:
                return
            access = gate.gate_for(self.app)
            hub = messages.hub_for(self.app)
            wanted: dict[str, tuple[snapshots.Audience, MemberQuery]] = {}
            for viewer, audience, members in specs:
                now_sees = access.audience(viewer, bid_id, rows[-1].id) if viewer is not None else audience
                if now_sees is not None:
                    wanted.setdefault(messages.audience_key(now_sees, members), (now_sees, members))
            db.session.remove()  # released before waiting for another worker's message
            for row in rows:
                for key, (audience, members) in wanted.items():
                    hub.get(
                        bid_id,
                        row.id,
                        key,
                        lambda row=row, a=audience, m=members: messages.build(self.app, bid_id, row, a, m),
                    )
            self.prepared += 1
        except Exception:  # the streams do the work themselves
            log.exception("could not prepare bid %s event %s for the streams", bid_id, top)
        finally:
            db.session.remove()


def fanout_for(app: Flask) -> Fanout:
    """The worker's fan-out (a new one with a new broker: tests start each with fresh live state)."""
    return workers.per_broker(app, "live_fanout", lambda broker: Fanout(app, broker))
