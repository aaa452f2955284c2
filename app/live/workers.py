"""One object of a kind per worker process and broker (the access gate, the fan-out), made on first use."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from flask import Flask

T = TypeVar("T")
_lock = threading.Lock()


def per_broker(app: Flask, key: str, make: Callable[[object], T]) -> T:
    """``app.extensions[key]``, made with ``make(broker)`` when missing or made for another broker (tests start
    each app with a new broker, so with fresh live state). The object keeps its broker as ``.broker``."""
    broker = app.extensions["broker"]
    found = app.extensions.get(key)
    if found is None or found.broker is not broker:
        with _lock:
            found = app.extensions.get(key)
            if found is None or found.broker is not broker:
                found = app.extensions[key] = make(broker)
                found.broker = broker
    return found
