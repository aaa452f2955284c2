"""Each live test starts with a fresh broker and empty per-worker caches: ids restart between tests."""

from __future__ import annotations

import pytest

from app.infra.broker import InProcessBroker


@pytest.fixture(autouse=True)
def _fresh_live_state(app):
    app.extensions["broker"] = InProcessBroker()
    app.extensions.pop("live_events", None)
    app.extensions.pop("live_snapshots", None)
    app.extensions.pop("live_messages", None)
    app.extensions.pop("live_gate", None)
    app.extensions.pop("live_fanout", None)
    yield
    app.extensions["broker"] = InProcessBroker()
    app.extensions.pop("live_events", None)
    app.extensions.pop("live_snapshots", None)
    app.extensions.pop("live_messages", None)
    app.extensions.pop("live_gate", None)
    app.extensions.pop("live_fanout", None)
