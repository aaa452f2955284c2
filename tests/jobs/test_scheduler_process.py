"""A real run: ``flask scheduler run`` as its own process closes a bid whose deadline is seconds away."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.infra import clock
from app.models import Bid, BidEvent, BidStatus, EmailMessage, EmailStatus
from config import TestConfig
from tests.factories import BidFactory, member_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.parametrize(
    "sweep_seconds",
    [
        "1",
        # A sweep every 30 seconds: the close comes on time only through the exact one-off job at the deadline.
        "30",
    ],
)
def test_the_scheduler_process_closes_a_bid_at_its_deadline(tmp_path, sweep_seconds):
    url = f"sqlite:///{tmp_path / 'bids.db'}"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(tmp_path / "uploads"))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        # Far enough ahead that the process has started and planned the deadline's job before it comes, even
        # on a loaded machine (starting the app can take several seconds there).
        bid = BidFactory(deadline=clock.now() + timedelta(seconds=12))
        member_of(bid, email="member@example.org")
        db.session.commit()
        bid_id, deadline = bid.id, bid.deadline
        db.session.remove()

    env = {
        **os.environ,
        "FLASK_APP": "wsgi:app",
        "APP_ENV": "development",
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "scheduler-process-test",
        "SCHEDULER_ENABLED": "0",  # as in production: only the scheduler process sweeps
        "SWEEP_SECONDS": sweep_seconds,
        "MAIL_BACKEND": "file",
        "MAIL_FILE_PATH": str(tmp_path / "outbox"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "scheduler", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        with app.app_context():
            status, closed_at, event = _wait_for_close(bid_id, timeout=45)
            assert status == BidStatus.CLOSED, "the scheduler process did not close the bid"
            assert deadline <= closed_at < deadline + timedelta(seconds=3)
            assert event is not None and event.payload["reason"] == "deadline"
            sent = _wait(
                lambda: db.session.scalar(
                    sa.select(sa.func.count())
                    .select_from(EmailMessage)
                    .where(EmailMessage.kind == "bid_closed_member", EmailMessage.status == EmailStatus.SENT)
                ),
                timeout=15,
            )
            assert sent == 1
            assert any((tmp_path / "outbox").iterdir())
            db.session.remove()
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    assert f"scheduler running every {sweep_seconds} seconds" in output, output[-2000:]
    assert process.returncode == 0, output[-2000:]
    with app.app_context():
        db.engine.dispose()


def _wait(read, *, timeout: float):
    end = time.monotonic() + timeout
    value = None
    while time.monotonic() < end:
        value = read()
        db.session.remove()
        if value:
            return value
        time.sleep(0.2)
    return value


def _wait_for_close(bid_id: int, *, timeout: float):
    def read():
        bid = db.session.get(Bid, bid_id)
        if bid.status != BidStatus.CLOSED:
            return None
        event = db.session.scalar(sa.select(BidEvent).where(BidEvent.bid_id == bid_id, BidEvent.kind == "bid.status"))
        return bid.status, bid.closed_at, event

    return _wait(read, timeout=timeout) or (None, None, None)
