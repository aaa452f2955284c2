"""``flask scheduler sweep`` exits only once the emails it caused have been sent: a bid it closes has its
notice delivered before the command returns, not ten minutes later when a dead thread's claim runs out."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from app.extensions import db
from app.models import Bid, BidStatus, EmailMessage, EmailStatus
from app.services import clock
from tests.factories import BidFactory
from tests.smtp import SMTPServer

ROOT = Path(__file__).resolve().parents[2]


def test_the_sweep_command_waits_for_its_sends_before_it_exits(ctx, database_url, tmp_path):
    # Three bids past their deadline: each close commits on its own and starts a thread for its notice.
    bids = [BidFactory(deadline=clock.now() - timedelta(minutes=1)) for _ in range(3)]
    db.session.commit()
    bid_ids = [bid.id for bid in bids]
    db.session.remove()

    # A slow mail server: each message takes a second to be accepted.
    with SMTPServer(delay=lambda _message: 1.0) as server:
        env = {
            **os.environ,
            "FLASK_APP": "wsgi:app",
            "APP_ENV": "development",
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "sweep-command-test",
            "SCHEDULER_ENABLED": "0",
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(server.port),
            "MAIL_SEND_ASYNC": "1",  # as in production: notices go from a thread after the commit
        }
        done = subprocess.run(
            [sys.executable, "-m", "flask", "scheduler", "sweep"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert f"'closed': {bid_ids}" in done.stdout
        rows = db.session.scalars(sa.select(EmailMessage).where(EmailMessage.bid_id.in_(bid_ids))).all()
        assert len(rows) >= 3, "closing the bids queued no notices"
        assert {row.status for row in rows} == {EmailStatus.SENT}, [(r.kind, r.status) for r in rows]
        assert server.by_message_id() == {row.message_id: 1 for row in rows}
        assert {db.session.get(Bid, bid_id).status for bid_id in bid_ids} == {BidStatus.CLOSED}
        db.session.remove()
