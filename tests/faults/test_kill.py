"""A pledge write killed with SIGKILL leaves the old or the new pledge with matching history, never a mixture."""

import os
import signal
import subprocess
import sys

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Pledge, PledgeRevision
from app.services import pledges
from tests.factories import BidFactory, member_of

OLD = {
    "amount_pence": 10_000_000,
    "homes": 100,
    "regions": ["NW"],
    "statement": "old",
    "status": "indicative",
    "accept_terms": True,
}


@pytest.mark.parametrize(("mode", "expect_new"), [("flushed", False), ("committed", True)])
def test_kill_minus_nine_mid_write(ctx, database_url, mode, expect_new):
    bid = BidFactory()
    user = member_of(bid)
    pledge = pledges.save_pledge(user, bid, OLD, expected_version=0)
    db.session.commit()
    pledge_id, bid_id, user_id = pledge.id, bid.id, user.id
    db.session.remove()

    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.faults.pledge_writer", database_url, str(bid_id), str(user_id), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=os.getcwd(),
    )
    try:
        line = proc.stdout.readline().strip()
        assert line == mode.upper(), proc.stderr.read()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()

    pledge = db.session.get(Pledge, pledge_id)
    revisions = db.session.scalars(
        sa.select(PledgeRevision).where(PledgeRevision.pledge_id == pledge_id).order_by(PledgeRevision.version)
    ).all()
    audits = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.subject_type == "Pledge", AuditEvent.subject_id == pledge_id)
    )
    if expect_new:
        assert (pledge.amount_pence, pledge.version, len(revisions), audits) == (99_900_000, 2, 2, 2)
        assert revisions[-1].after["amount_pence"] == 99_900_000
    else:
        assert (pledge.amount_pence, pledge.version, len(revisions), audits) == (10_000_000, 1, 1, 1)
    # The database is usable at once: the dead writer's lock is gone.
    pledges.save_pledge(
        user := db.session.get(type(user), user_id), pledge.bid, {**OLD, "homes": 5}, expected_version=pledge.version
    )
    db.session.commit()
    assert db.session.get(Pledge, pledge_id).homes == 5
