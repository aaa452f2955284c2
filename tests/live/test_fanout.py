"""A worker's streams of a bid wake once per event, after one of them has prepared it for all: the rows read
once, every viewer's access checked once, each audience's message built once. The preparing only fills caches:
when it does nothing, every stream still gets every message."""

from __future__ import annotations

from app.live import fanout, gate, messages
from tests.live.helpers import make_scene, pledge_as
from tests.live.test_messages import counted, is_update, open_streams  # noqa: F401  (a fixture)


def test_each_event_is_prepared_once_for_all_of_a_workers_streams(app, make_browser, counted, monkeypatch):  # noqa: F811
    # No heartbeat while it runs: a heartbeat re-checks access too (with an answer at most a quarter of its period
    # old), so on a slow machine the test's count would include heartbeats' checks as well as the events'.
    monkeypatch.setitem(app.config, "SSE_HEARTBEAT_SECONDS", 30)
    scene = make_scene(app, show_amounts=False)
    emails = [scene.convenor] * 3 + [scene.riverside] * 2
    streams = open_streams(make_browser, scene.bid_id, lambda m: is_update(m) and m["id"] == "2", *emails)
    checks = gate.gate_for(app).checks
    pledge_as(app, scene.riverside, scene.bid_id, 100_000_00)
    pledge_as(app, scene.other, scene.bid_id, 50_000_00)
    for stream in streams:
        assert [m["id"] for m in stream.result() if is_update(m)] == ["1", "2"]
    fan = fanout.fanout_for(app)
    assert 1 <= fan.prepared <= 2  # once per event (or once for both), not once per stream
    assert gate.gate_for(app).checks - checks <= 2  # every viewer's access: one check per event
    # Two audiences watching (the convenor, Riverside's own): each event's messages built once each.
    assert sorted(counted.values()) == [1, 1, 1, 1]


def test_streams_still_get_every_message_when_nothing_was_prepared(app, make_browser, counted, monkeypatch):  # noqa: F811
    monkeypatch.setattr(fanout.Fanout, "_prepare", lambda self, bid_id, entry, since, top: None)
    scene = make_scene(app, show_amounts=True)
    streams = open_streams(
        make_browser, scene.bid_id, lambda m: is_update(m) and m["id"] == "2", scene.convenor, scene.convenor
    )
    pledge_as(app, scene.riverside, scene.bid_id, 100_000_00)
    pledge_as(app, scene.other, scene.bid_id, 50_000_00)
    for stream in streams:
        updates = [m for m in stream.result() if is_update(m)]
        assert [m["id"] for m in updates] == ["1", "2"]
        assert "Total, all 2 members" in updates[-1]["data"]["table"]["foot"]
    assert fanout.fanout_for(app).prepared == 0
    assert messages.hub_for(app).builds  # the streams built them themselves, each once
    assert sorted(counted.values()) == [1, 1]
