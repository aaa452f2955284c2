"""A few-second deadline rush through real gunicorn, so the benchmark code cannot rot.

Not a speed test: it checks that the harness runs end to end and that its correctness checks hold
(every accepted write saved once with its revision, audit row and live event; stale forms refused).
"""

from __future__ import annotations

import shutil

import pytest

from bench import rush
from bench.common import BIN, latency_ms, percentile
from tests.conftest import need


def test_percentiles_interpolate_between_ranks():
    values = [0.010, 0.020, 0.030, 0.040, 0.050]
    assert percentile(values, 50) == 0.030
    assert abs(percentile(values, 90) - 0.046) < 1e-12
    assert percentile([0.5], 99) == 0.5
    assert latency_ms(values)["median_ms"] == 30.0
    assert latency_ms(values)["max_ms"] == 50.0


def test_small_rush_on_sqlite_loses_nothing(tmp_path):
    need((BIN / "gunicorn").exists() or shutil.which("gunicorn") is not None, "gunicorn is not installed")
    url = f"sqlite:///{tmp_path / 'rush.db'}"

    result = rush.run_database("SQLite", url, tmp_path, organisations=6, clients=4, rounds=1, stale_every=3)

    checks = result["checks"]
    assert checks["organisations"] == 6
    assert result["pledge_writes"] == 6 * rush.WRITES_PER_ORG
    assert (checks["lost"], checks["revision_mismatch"], checks["audit_mismatch"], checks["event_mismatch"]) == (
        0,
        0,
        0,
        0,
    ), checks["problems"]
    assert result["stale_posted"] == 2  # organisations 0 and 3
    assert result["stale_refused_409"] == 2
    assert checks["stale_saved"] == 0
    assert result["server_errors"] == 0
    assert result["transport_errors"] == 0
    assert result["unexpected_count"] == 0, result["unexpected"]
    assert result["statuses"] == {"200": 24, "302": 24, "409": 2}
    assert result["bare_rows_in_db"] == result["bare_requests"] == 24 + 24 + 2
    assert result["pledge_writes_per_s"] > 0 and result["bare_inserts_per_s"] > 0
    # The four-insert floor ran as many writes as the project accepted, all of them saved.
    assert result["floor_writes"] == result["pledge_writes"] and result["floor_statuses"] == {"201": 24}
    assert result["ratio_cpu_floor"] > 0
    rows = rush.rows_for({"databases": [result], "organisations": 6}, 4)
    assert {r["measure"] for r in rows} >= {
        "lost or unrecorded writes (of accepted)",
        "server CPU ms per pledge write (GET form + POST) vs per floor write",
    }


@pytest.mark.slow
def test_sixty_four_clients_rushing_on_sqlite_get_no_503_and_no_5xx(tmp_path):
    """Issue 12, item 8: 16 clients used to get "database is locked" 503s; 64 at once get none now."""
    need((BIN / "gunicorn").exists() or shutil.which("gunicorn") is not None, "gunicorn is not installed")
    url = f"sqlite:///{tmp_path / 'rush64.db'}"

    result = rush.run_database(
        "SQLite", url, tmp_path, organisations=64, clients=64, rounds=1, stale_every=16, bare=False
    )

    assert result["server_errors"] == 0, result["statuses"]
    assert result["transport_errors"] == 0
    assert result["unexpected_count"] == 0, result["unexpected"]
    assert result["statuses"] == {"200": 64 * rush.WRITES_PER_ORG, "302": 64 * rush.WRITES_PER_ORG, "409": 4}
    checks = result["checks"]
    assert (checks["lost"], checks["revision_mismatch"], checks["audit_mismatch"], checks["event_mismatch"]) == (
        0,
        0,
        0,
        0,
    ), checks["problems"]
    assert checks["stale_saved"] == 0
