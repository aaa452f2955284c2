"""Two schedulers sweeping at the same moment: every reminder, close and email happens exactly once."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.models import BidStatus, EmailMessage, ReminderSend
from app.services import reminders, scheduling
from tests.conftest import POSTGRES
from tests.factories import BidFactory, InvitationFactory
from tests.services.scheduler_helpers import T0, make_cast


def _at_once(app, fn, workers: int = 2) -> list:
    """Run ``fn`` in ``workers`` threads, each with its own app context and session, released together."""
    barrier = threading.Barrier(workers)
    results, errors = [], []

    def work():
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                results.append(fn())
            except Exception as exc:  # surfaced below with the thread's error
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a sweeper did not finish"
    assert errors == []
    return results


def _two_sweepers(app, outbox, monkeypatch):
    monkeypatch.setitem(app.config, "DIGEST_HOUR", 24)
    # Hold each sweeper after it has worked out what is due and before it claims anything, so both try to
    # claim the same slots. (SQLite's write lock lets only one get this far; the wait then times out.)
    meet = threading.Barrier(2)
    found = reminders.candidates

    def candidates_together(*args, **kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            meet.wait(timeout=3)
        return found(*args, **kwargs)

    monkeypatch.setattr(reminders, "candidates", candidates_together)
    with app.app_context():
        with time_machine.travel(T0, tick=False):
            cast = make_cast()
            others = []
            for _ in range(5):
                bid = BidFactory(deadline=cast.bid.deadline, created_by=cast.convenors[0])
                for _ in range(10):
                    InvitationFactory(bid=bid)
                others.append(bid.id)
            db.session.commit()
        bid_ids = sorted([cast.bid.id, *others])
        deadline = cast.bid.deadline
        db.session.remove()

        with time_machine.travel(deadline - timedelta(days=7), tick=False):
            results = _at_once(app, scheduling.run_sweep)
        assert sum(r["reminders"]["slots"] for r in results) == 6  # one 7-day slot per bid, processed once
        assert sum(r["reminders"]["sent"] for r in results) == 53
        rows = db.session.execute(sa.select(ReminderSend.invitation_id, ReminderSend.slot)).all()
        assert len(rows) == 3 + 5 * 10 == len(set(rows))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(EmailMessage)) == 53
        sent = Counter(m.to[0] for m in outbox)
        assert sum(sent.values()) == 53 and max(sent.values()) == 1  # each email went out once
        if POSTGRES:  # both got as far as claiming; the second met the first one's claims and skipped
            assert sum(r["reminders"]["clashed"] for r in results) >= 1
        db.session.remove()  # end this thread's read (on SQLite it holds the write lock)

        with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
            results = _at_once(app, scheduling.run_sweep)
        closed = [bid_id for r in results for bid_id in r["closed"]]
        assert sorted(closed) == bid_ids  # between them, each bid closed by one sweeper
        closing = db.session.scalars(
            sa.select(EmailMessage.to_address).where(
                EmailMessage.kind.in_(["bid_closed_convenor", "bid_closed_member"])
            )
        ).all()
        # Six bids x two convenors, and five member users on the first bid.
        assert len(closing) == 6 * 2 + 5
        assert len(outbox) == 53 + 17
        statuses = db.session.scalars(sa.select(sa.distinct(db.metadata.tables["bids"].c.status))).all()
        assert statuses == [BidStatus.CLOSED.value]
        db.session.remove()


@pytest.mark.postgres
def test_two_sweepers_at_once_on_postgresql(app, outbox, monkeypatch):
    _two_sweepers(app, outbox, monkeypatch)


@pytest.mark.skipif(POSTGRES, reason="the PostgreSQL run has its own test above")
def test_two_sweepers_at_once_on_sqlite(app, outbox, monkeypatch):
    _two_sweepers(app, outbox, monkeypatch)
