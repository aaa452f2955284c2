"""Prometheus metrics: the counters and gauges the app moves, and what ``/metrics`` serves.

Under gunicorn every worker is a process of its own: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder
(``gunicorn.conf.py`` does when ``METRICS_ENABLED``) and each process writes its values there, and a scrape of
any worker adds them up. The scheduler on the same host can share the folder, so its sweep figures appear too.
The outbox figures are read from the database at scrape time, so they are the same from every host.
Moving a metric is cheap and never fails a request.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable, Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # each metric below opens its file there as it is made
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

REQUESTS = Counter("bids_http_requests_total", "Requests answered", ["endpoint", "method", "status"])
LATENCY = Histogram(
    "bids_http_request_duration_seconds",
    "Time to answer a request (to the first byte of a streamed body)",
    ["endpoint", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
PLEDGE_WRITES = Counter("bids_pledge_writes_total", "Pledge saves and withdrawals", ["result"])
LIVE_STREAMS = Gauge("bids_live_streams_open", "Live streams open now", multiprocess_mode="livesum")
SWEEP_SECONDS = Histogram(
    "bids_sweep_step_duration_seconds",
    "Time a sweep step took",
    ["step"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 120),
)
SWEEP_SUCCESS = Gauge(
    "bids_sweep_step_last_success_timestamp_seconds",
    "When a sweep step last finished without an error (Unix time)",
    ["step"],
    multiprocess_mode="max",
)
SWEEP_FAILURES = Counter("bids_sweep_step_failures_total", "Sweep steps that raised", ["step"])
STORAGE_ERRORS = Counter("bids_file_storage_errors_total", "File storage reads and writes that failed", ["kind"])

#: pledge write results counted
PLEDGE_RESULTS = ("accepted", "stale", "closed", "invalid")


def file_storage_error(kind: str) -> None:
    STORAGE_ERRORS.labels(kind=kind).inc()


def pledge_write(result: str) -> None:
    PLEDGE_WRITES.labels(result=result).inc()


def request_done(endpoint: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(endpoint=endpoint, method=method, status=str(status)).inc()
    LATENCY.labels(endpoint=endpoint, status=str(status)).observe(seconds)


def tracked_stream(body: Iterator[str]) -> Iterator[str]:
    """A live stream's body, counted as open from its first chunk until it ends or the client leaves."""
    LIVE_STREAMS.inc()
    try:
        yield from body
    finally:
        LIVE_STREAMS.dec()


def timed_step(name: str, run: Callable[[], dict]) -> Callable[[], dict]:
    """A sweep step that records how long it took and, when it finished, when it last succeeded."""

    @functools.wraps(run)
    def step() -> dict:
        started = time.monotonic()
        try:
            figures = run()
        except BaseException:
            SWEEP_FAILURES.labels(step=name).inc()
            raise
        finally:
            SWEEP_SECONDS.labels(step=name).observe(time.monotonic() - started)
        SWEEP_SUCCESS.labels(step=name).set(time.time())
        return figures

    return step


class OutboxCollector:
    """The outbox's backlog and the age of its oldest unsent message, read when scraped."""

    def __init__(self, read: Callable[[], tuple[int, float | None]]) -> None:
        self.read = read

    def collect(self):
        backlog = GaugeMetricFamily("bids_outbox_backlog", "Email messages not yet sent (pending)")
        age = GaugeMetricFamily("bids_outbox_oldest_unsent_age_seconds", "Age of the oldest pending email (0: none)")
        try:
            count, oldest = self.read()
        except Exception:  # a scrape during a database outage still answers with the process's own metrics
            log.warning("the outbox figures could not be read for /metrics", exc_info=True)
            return
        backlog.add_metric([], count)
        age.add_metric([], oldest or 0.0)
        yield backlog
        yield age


def exposition(outbox: Callable[[], tuple[int, float | None]]) -> tuple[bytes, str]:
    """Every metric of this host's processes (added up in multi-process mode), and the content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
    else:
        from prometheus_client import REGISTRY as processes
    shared = CollectorRegistry()
    shared.register(OutboxCollector(outbox))
    return generate_latest(processes) + generate_latest(shared), CONTENT_TYPE_LATEST
