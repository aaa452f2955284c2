"""The Server-Sent Events stream for one viewer of one bid.

Each read opens a short database session and removes it before the stream waits, so an idle stream holds
no connection and no transaction. A stream renders nothing per event: each event's messages are built once
per audience across every worker and the stream writes their text (app.live.messages). The snapshot sent on
connect is shared by a worker's streams of the same audience (``SnapshotCache``).
"""

from __future__ import annotations

import bisect
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask

from app.extensions import db
from app.live import fanout, gate, messages, render
from app.models import Bid
from app.services import snapshots
from app.services.member_table import MemberQuery


@dataclass
class _Entry:
    made: float
    event_id: int
    text: str


class SnapshotCache:
    """Rendered snapshot JSON per (bid, audience, page of the members table); single-flight per key; fresh for
    ``max_age`` seconds."""

    def __init__(self, max_age: float = 1.0) -> None:
        self.max_age = max_age
        self._entries: dict[tuple, _Entry] = {}
        self._locks: dict[tuple, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: tuple, min_event_id: int, build: Callable[[], tuple[str, int]]) -> tuple[str, int]:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
            if len(self._entries) > 2000:  # many bids over a long uptime: start again rather than grow
                self._entries.clear()
        with lock:
            entry = self._entries.get(key)
            if entry and entry.event_id >= min_event_id and time.monotonic() - entry.made < self.max_age:
                return entry.text, entry.event_id
            text, event_id = build()
            self._entries[key] = _Entry(time.monotonic(), event_id, text)
            return text, event_id


@dataclass(frozen=True)
class Row:
    """A bid_events row detached from any session (rows never change once committed)."""

    id: int
    kind: str
    payload: dict
    organisation_id: int | None
    created_at: datetime


@dataclass
class _BidLog:
    start: int  #: the log holds every row with start < id <= top
    top: int
    rows: list[Row] = field(default_factory=list)
    read_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


class EventLog:
    """A worker's recent bid_events rows per bid, shared by its streams: when a change is published the first
    stream to wake reads the new rows and the others take them from memory (one query per change per worker,
    not one per stream). Without news it reads the database at most every ``fresh`` seconds, so a lost
    wake-up is still found."""

    def __init__(self, broker, *, keep: int = 1000, fresh: float = 1.0) -> None:
        self.broker, self.keep, self.fresh = broker, keep, fresh
        self._bids: dict[int, _BidLog] = {}
        self._guard = threading.Lock()

    def after(self, bid_id: int, after_id: int, *, limit: int) -> list[Row]:
        with self._guard:
            log = self._bids.setdefault(bid_id, _BidLog(start=after_id, top=after_id))
        with log.lock:
            if after_id < log.start:  # older history than we hold: a replay; read it, do not keep it
                return _read(bid_id, after_id, limit)
            stale = time.monotonic() - log.read_at > self.fresh
            if stale or self.broker.latest(bid_id) > log.top:
                new = _read(bid_id, log.top, limit)
                log.rows.extend(new)
                log.top = new[-1].id if new else log.top
                log.read_at = 0.0 if len(new) >= limit else time.monotonic()  # more behind: read again
                if len(log.rows) > self.keep:
                    dropped, log.rows = log.rows[: -self.keep], log.rows[-self.keep :]
                    log.start = dropped[-1].id
            first = bisect.bisect_right(log.rows, after_id, key=_row_id)  # rows are in id order
            return log.rows[first : first + limit]


def _row_id(row: Row) -> int:
    return row.id


def _read(bid_id: int, after_id: int, limit: int) -> list[Row]:
    return [
        Row(e.id, e.kind, dict(e.payload or {}), e.organisation_id, e.created_at)
        for e in snapshots.events_after(bid_id, after_id, limit=limit)
    ]


def event_log(app: Flask) -> EventLog:
    log = app.extensions.get("live_events")
    if log is None:
        with _cache_lock:
            log = app.extensions.setdefault("live_events", EventLog(app.extensions["broker"]))
    return log


def cache_for(app: Flask) -> SnapshotCache:
    cache = app.extensions.get("live_snapshots")
    if cache is None:
        with _cache_lock:
            cache = app.extensions.setdefault("live_snapshots", SnapshotCache(app.config["LIVE_SNAPSHOT_MAX_AGE"]))
    return cache


_cache_lock = threading.Lock()
PAGE = 500


def snapshot_text(app: Flask, bid_id: int, audience: snapshots.Audience, members: MemberQuery, min_event_id: int = 0):
    """The snapshot message data for the audience (JSON text) and the last event id it includes; for a
    convenor, with the page of the members table that ``members`` asks for."""

    def build() -> tuple[str, int]:
        bid = db.session.get(Bid, bid_id)
        snap = snapshots.snapshot(bid, audience, projection_hours=app.config["LIVE_PROJECTION_HOURS"], members=members)
        return json.dumps(render.payload(snap), separators=(",", ":"), ensure_ascii=False), snap.last_event_id

    key = (bid_id, audience.key, members.key if audience.convenor else "")
    return cache_for(app).get(key, min_event_id, build)


message = messages.sse


def _sends(
    app: Flask, bid_id: int, rows: list[Row], audience: snapshots.Audience, snap_id: int, members: MemberQuery
) -> Iterator[str]:
    """The text to send for ``rows``: an event the snapshot already shows gets its activity line (a replay,
    filtered here); a newer one its finished messages, built once per audience (``messages.MessageHub``) and,
    for a convenor, per page of the members table shown."""
    hub = messages.hub_for(app)
    key = messages.audience_key(audience, members)
    for row in rows:
        if row.id <= snap_id:
            item = snapshots.visible_event(row, audience)
            if item is not None:
                yield message(messages.dumps(item), event="activity", event_id=row.id)
        else:
            yield hub.get(bid_id, row.id, key, lambda row=row: messages.build(app, bid_id, row, audience, members))


def _fresh_snapshot(app: Flask, bid_id: int, audience: snapshots.Audience, members: MemberQuery, sent: int) -> str:
    """A snapshot message for an audience whose view changed mid-stream, as of event ``sent``."""
    try:
        text, _ = snapshot_text(app, bid_id, audience, members, sent)
    finally:
        db.session.remove()
    return message(text, event="snapshot", event_id=sent)


def events(
    app: Flask,
    bid_id: int,
    audience: snapshots.Audience,
    *,
    after_id: int | None,
    members: MemberQuery | None = None,
    viewer: snapshots.Viewer | None = None,
) -> Iterator[str]:
    """Snapshot first, then every event after ``after_id`` (their activity lines: the snapshot shows their
    effect), then, as changes commit, each one's activity and update messages, until the stream's lifetime
    ends (the browser reconnects with Last-Event-ID and resumes from a fresh snapshot).

    With a ``viewer``, every batch of events and every heartbeat first asks what the viewer may see now
    (``snapshots.audience_now``; for a batch, once per event for all the worker's streams: app.live.gate).
    The batch is sent as that audience sees it (a convenor hiding amounts takes effect at once, followed by a
    fresh snapshot), and the stream ends when the viewer may no longer see the bid."""
    members = members or MemberQuery()
    heartbeat = float(app.config["SSE_HEARTBEAT_SECONDS"])
    lifetime = float(app.config["SSE_MAX_SECONDS"])
    started = last_write = time.monotonic()
    access = gate.gate_for(app)
    fan = fanout.fanout_for(app)
    spec = (viewer, audience, members)
    if viewer is not None:
        access.opened(bid_id, viewer)
    fan.opened(bid_id, spec)
    try:
        yield f"retry: {int(app.config['SSE_RETRY_MS'])}\n: bid {bid_id} live stream\n\n"
        try:
            # Never older than what the client already has (a cached copy may be up to a second old).
            text, snap_id = snapshot_text(app, bid_id, audience, members, after_id or 0)
        finally:
            db.session.remove()
        yield message(text, event="snapshot", event_id=snap_id)
        sent = snap_id if after_id is None or after_id > snap_id else after_id
        floor = sent  # wait for news beyond this (raised when the broker names ids we cannot see yet)
        while True:
            try:
                found = event_log(app).after(bid_id, sent, limit=PAGE)
                now_sees = access.audience(viewer, bid_id, found[-1].id) if found and viewer is not None else audience
            finally:
                db.session.remove()  # released before waiting for another worker's message
            if now_sees is None:
                return  # access ended: send nothing more (the reconnect is refused)
            fresh = now_sees != audience  # what they may see changed: a fresh snapshot follows the batch
            audience = now_sees
            if found:
                try:
                    text = "".join(_sends(app, bid_id, found, audience, snap_id, members))
                finally:
                    db.session.remove()
                if text:
                    yield text
                sent = floor = found[-1].id
                last_write = time.monotonic()
            if fresh:
                snap_id = sent
                yield _fresh_snapshot(app, bid_id, audience, members, sent)
                last_write = time.monotonic()
            if len(found) >= PAGE:
                continue  # a full page may have more behind it
            now = time.monotonic()
            if now - started >= lifetime:
                return
            if now - last_write >= heartbeat:
                if viewer is not None:
                    try:
                        now_sees = access.audience(viewer, bid_id)
                    finally:
                        db.session.remove()
                    if now_sees is None:
                        return
                    if now_sees != audience:
                        audience, snap_id = now_sees, sent
                        yield _fresh_snapshot(app, bid_id, audience, members, sent)
                        last_write = time.monotonic()
                        continue
                yield ": keep-alive\n\n"
                last_write = now
            timeout = min(heartbeat - (now - last_write), lifetime - (now - started))
            if not fan.wait(bid_id, floor, max(timeout, 0.01)):
                continue
            floor = max(floor, fan.latest(bid_id))
    finally:
        fan.closed(bid_id, spec)
        if viewer is not None:
            access.closed(bid_id, viewer)
        db.session.remove()
