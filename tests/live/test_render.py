"""Pieces of the live pages: relative times, chart geometry and the shared snapshot cache."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from app.live import charts
from app.live.render import ago
from app.live.stream import SnapshotCache
from app.services.live import Point

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "just now"),
        (44, "just now"),
        (45, "1 minute ago"),
        (150, "2 minutes ago"),
        (3600, "1 hour ago"),
        (7300, "2 hours ago"),
        (86400, "1 day ago"),
        (3 * 86400 + 5, "3 days ago"),
    ],
)
def test_ago(seconds, text):
    assert ago(NOW - timedelta(seconds=seconds), NOW) == text
    assert ago((NOW - timedelta(seconds=seconds)).isoformat(), NOW) == text


def test_nice_axis_ends():
    assert [charts.nice_max(v) for v in (0, 7, 23, 240, 6_300_000)] == [1, 10, 25, 250, 10_000_000]


def test_cumulative_chart_geometry():
    start, deadline = NOW - timedelta(days=4), NOW + timedelta(days=4)
    points = [Point(start + timedelta(days=1), 100_000_00, 1), Point(start + timedelta(days=3), 400_000_00, 2)]
    chart = charts.cumulative(
        points, metric="pledged_pence", target=6_000_000_00, start=start, deadline=deadline, now=NOW
    )
    assert chart["left"] < chart["deadline_x"] <= chart["right"]
    assert chart["deadline_x"] == chart["right"]  # the deadline is the end of the time axis here
    assert chart["top"] < chart["target_y"] < chart["bottom"]
    assert chart["now_x"] == pytest.approx((chart["left"] + chart["right"]) / 2, abs=1)
    assert chart["current_label"] == "£400,000" and chart["target_label"] == "£6,000,000"
    assert [row["value"] for row in chart["table"]] == ["£0", "£100,000", "£100,000", "£400,000", "£400,000"]
    members = charts.cumulative(points, metric="members", target=3, start=start, deadline=deadline, now=NOW)
    assert [t["label"] for t in members["ticks_y"]] == ["0", "1", "2", "3", "4"]  # whole organisations


def test_region_bars_are_labelled_and_show_only_counts_when_amounts_are_hidden():
    class R:
        def __init__(self, name, amount_pence, homes, members):
            self.name, self.amount_pence, self.homes, self.members = name, amount_pence, homes, members

    regions = [R("North West", 250_000_00, 12_400, 1), R("Wales", 0, 0, 0)]
    both = charts.regions(regions, show_amounts=True)
    assert [p["title"] for p in both["panels"]] == ["Money by region", "Homes by region"]
    assert both["panels"][0]["bars"][0]["label"] == "£250,000" and both["panels"][0]["bars"][1]["width"] == 0
    # Hidden amounts: a region's homes would be its one member's homes; the chart counts organisations.
    counts = charts.regions(regions, show_amounts=False)
    assert [p["title"] for p in counts["panels"]] == ["Member organisations by region"]
    assert [b["label"] for b in counts["panels"][0]["bars"]] == ["1", "0"]


def test_snapshot_cache_builds_once_for_concurrent_streams_and_again_for_newer_events():
    cache = SnapshotCache(max_age=5)
    builds = []

    def build(event_id):
        def run():
            time.sleep(0.05)
            builds.append(event_id)
            return f"snapshot {event_id}", event_id

        return run

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get(("bid", 1), 3, build(3)))) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert builds == [3] and set(results) == {("snapshot 3", 3)}
    assert cache.get(("bid", 1), 4, build(4)) == ("snapshot 4", 4)  # a stream that has seen event 4 needs it
    assert cache.get(("bid", 2), 4, build(4)) == ("snapshot 4", 4)  # another audience: its own entry
    assert builds == [3, 4, 4]
    stale = SnapshotCache(max_age=0)
    stale.get("k", 0, build(1))
    stale.get("k", 0, build(1))
    assert builds[-2:] == [1, 1]  # max_age 0: never reused
