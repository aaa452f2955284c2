"""The deadline rush through real gunicorn: 300 writers from 6 s before to 3 s after the deadline.

Every write is judged by the moment the server received it (its ``Received-At`` stamp): received before
the deadline, it is saved or refused only as stale; received at or after it, it is refused as closed.
Nothing is lost, nothing answers 5xx, and each accepted write has exactly one pledge revision and one
audit row, saved at the moment it was received. Correctness only: timings on a shared machine vary.
"""

from __future__ import annotations

import os
import shutil

import pytest
from sqlalchemy.engine import make_url

from bench import deadline_rush
from bench.common import BIN, postgres_available
from tests.conftest import need

pytestmark = pytest.mark.slow


def _check(result: deadline_rush.Result) -> None:
    summary = deadline_rush.summarise(result)
    assert summary["writers"] == deadline_rush.WRITERS
    assert summary["wrong"] == [], f"{summary['wrong_count']} judged wrongly; outcomes {summary['outcomes']}"
    assert summary["server_errors"] == 0 and summary["transport_errors"] == 0, summary["outcomes"]
    # The window straddles the deadline: both sides were exercised, and stale pairs were refused as stale.
    assert summary["received_before_deadline"] > 100 and summary["received_after_deadline"] > 30
    assert summary["outcomes"].get("stale", 0) >= 1
    assert set(summary["outcomes"]) <= {"accepted", "stale", "closed"}
    checks = result.checks
    assert checks["problems"] == []
    assert checks["accepted"] == summary["outcomes"]["accepted"]
    assert checks["pledges_in_db"] == checks["revisions_in_db"] == checks["audits_in_db"] == checks["accepted"]
    # The same writers at the same moments against the four-insert floor: every one saved.
    assert summary["floor_outcomes"] == {"accepted": deadline_rush.WRITERS}
    assert summary["accepted_writes_per_s"] > 0 and summary["floor_writes_per_s"] > 0


def _gunicorn() -> None:
    need((BIN / "gunicorn").exists() or shutil.which("gunicorn") is not None, "gunicorn is not installed")


def test_deadline_rush_on_sqlite(tmp_path):
    _gunicorn()
    _check(deadline_rush.run_database("SQLite", f"sqlite:///{tmp_path / 'deadline.db'}", tmp_path))


@pytest.mark.postgres
def test_deadline_rush_on_postgresql(tmp_path):
    _gunicorn()
    # A database of its own beside the suite's (the scenario empties it), made on first use.
    base = make_url(os.environ["TEST_DATABASE_URL"])
    url = base.set(drivername="postgresql", database=f"{base.database}_rush").render_as_string(hide_password=False)
    need(postgres_available(url), f"cannot reach or create {url}")
    _check(deadline_rush.run_database("PostgreSQL", url, tmp_path))
