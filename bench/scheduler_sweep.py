"""Scheduler sweep benchmark: 1,000 open bids with 100 invitees each; time and queries per sweep.

Run alone: ``.venv/bin/python -m bench.scheduler_sweep`` (SQLite file in a temporary folder), or with
``BENCH_DATABASE_URL=postgresql://...`` against an empty PostgreSQL database. ``main()`` returns the figures.

Phases (time moved with time_machine):
  steady     a sweep when nothing is due (the usual case, every SWEEP_SECONDS)
  reminders  a sweep when one planned slot is due on every bid (80 of each bid's 100 invitees are chased)
  after      the next sweep: everything already claimed
  close      a sweep closing BENCH_CLOSE_BIDS bids at their deadline, with every closing notice
  send       sending 2,000 queued emails through the dummy mail backend
Emails are queued by the sweeps and sent in the separate "send" phase, so the sweep figures are the
database work alone (in production the sending happens after each commit, in a background thread).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import time_machine
from sqlalchemy import event

from bench.common import row

BIDS = int(os.environ.get("BENCH_BIDS", "1000"))
INVITEES = 100
CLOSE_BIDS = int(os.environ.get("BENCH_CLOSE_BIDS", "50"))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEADLINE = T0 + timedelta(days=10)


class QueryCounter:
    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args, **kwargs) -> None:
        self.count += 1


def _make_app():
    from app import create_app
    from config import TestConfig

    url = os.environ.get("BENCH_DATABASE_URL")
    if url and url.startswith("postgres"):
        from config import database_url

        url = database_url(url)
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-sched-')}/bench.db"
    return create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, MAIL_BACKEND="dummy", DIGEST_HOUR=24)


def _load(db) -> dict:
    """Bulk-insert the data set with SQLAlchemy Core. Per bid: 40 not responded, 60 accepted (20 with no
    pledge, 20 indicative, 20 confirmed); the 100 member organisations are the same landlords on every bid.

    The one benchmark that keeps a bulk path rather than ``app.seeding`` (which the other benchmarks' data
    goes through): played through the services, 10 of these bids took 4.7 s on SQLite, so the 1,000 would take
    about 470 s, against 7.8 s for this whole load (2-core machine, shared). What the sweep does is decided by
    the bids, invitations and pledges, which these rows fill with the values the services write.
    """
    from app.models import Bid, Invitation, Organisation, Pledge, User

    conn = db.session.connection()
    conn.execute(
        sa.insert(Organisation), [{"name": "Bench Convenor", "name_key": "bench convenor", "kind": "convenor"}]
    )
    convenor_org = conn.execute(sa.select(Organisation.id)).scalar_one()
    conn.execute(
        sa.insert(User),
        [
            {
                "email": "convenor@bench.example",
                "name": "Convenor",
                "password_hash": "x",
                "role": "convenor",
                "organisation_id": convenor_org,
            }
        ],
    )
    convenor = conn.execute(sa.select(User.id)).scalar_one()
    conn.execute(
        sa.insert(Organisation),
        [
            {"name": f"Landlord {i}", "name_key": f"landlord {i}", "kind": "member", "regions": ["NW"]}
            for i in range(60)
        ],
    )
    orgs = conn.execute(sa.select(Organisation.id).where(Organisation.kind == "member").order_by(Organisation.id))
    orgs = orgs.scalars().all()
    conn.execute(
        sa.insert(User),
        [
            {
                "email": f"member{i}@bench.example",
                "name": f"Member {i}",
                "password_hash": "x",
                "role": "member",
                "organisation_id": org,
            }
            for i, org in enumerate(orgs)
        ],
    )
    users = dict(conn.execute(sa.select(User.organisation_id, User.id).where(User.role == "member")).all())
    conn.execute(
        sa.insert(Bid),
        [
            {
                "organisation_id": convenor_org,
                "created_by_id": convenor,
                "title": f"Bench bid {n}",
                "funder_name": "F",
                "scheme": "S",
                "target_pence": 600_000_000,
                "target_homes": 100_000,
                "deadline": DEADLINE,
                "status": "open",
                "opened_at": T0,
                "created_at": T0,
                "updated_at": T0,
            }
            for n in range(BIDS)
        ],
    )
    bid_ids = conn.execute(sa.select(Bid.id).order_by(Bid.id)).scalars().all()
    expires = T0 + timedelta(days=30)
    for chunk in range(0, len(bid_ids), 100):
        invitations, pledges = [], []
        for bid_id in bid_ids[chunk : chunk + 100]:
            for i in range(40):
                invitations.append(
                    {
                        "bid_id": bid_id,
                        "organisation_name": f"Waiting {i}",
                        "email": f"w{i}@x.example",
                        # Every row names every column: Core's executemany takes them from the first row.
                        "organisation_id": None,
                        "accepted_by_id": None,
                        "responded_at": None,
                        "status": "sent",
                        "expires_at": expires,
                        "invited_by_id": convenor,
                        "created_at": T0,
                        "sent_at": T0,
                    }
                )
            for i, org in enumerate(orgs):
                invitations.append(
                    {
                        "bid_id": bid_id,
                        "organisation_name": f"Landlord {i}",
                        "email": f"member{i}@bench.example",
                        "organisation_id": org,
                        "status": "accepted",
                        "expires_at": expires,
                        "invited_by_id": convenor,
                        "accepted_by_id": users[org],
                        "responded_at": T0,
                        "created_at": T0,
                        "sent_at": T0,
                    }
                )
                if i >= 20:
                    pledges.append(
                        {
                            "bid_id": bid_id,
                            "organisation_id": org,
                            "amount_pence": 5_000_000,
                            "homes": 100,
                            "regions": ["NW"],
                            "statement": "",
                            "terms_accepted_at": T0,
                            "status": "indicative" if i < 40 else "confirmed",
                            "created_by_id": users[org],
                            "updated_by_id": users[org],
                            "created_at": T0,
                            "updated_at": T0,
                        }
                    )
        conn.execute(sa.insert(Invitation), invitations)
        conn.execute(sa.insert(Pledge), pledges)
    db.session.commit()
    return {"bids": len(bid_ids), "invitations": len(bid_ids) * INVITEES, "bid_ids": bid_ids}


def _timed(db, counter, fn, *args):
    db.session.remove()
    counter.count = 0
    start = time.perf_counter()
    result = fn(*args)
    elapsed = time.perf_counter() - start
    db.session.remove()
    return {"seconds": round(elapsed, 3), "queries": counter.count, "result": result}


def main() -> dict:
    from app import notifications
    from app.extensions import db
    from app.models import Bid, ReminderSlot
    from app.services import reminder_plan, scheduling

    app = _make_app()
    figures: dict = {"bids": BIDS, "invitees_per_bid": INVITEES}
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        figures["database"] = db.engine.dialect.name
        counter = QueryCounter(db.engine)
        start = time.perf_counter()
        with time_machine.travel(T0, tick=False):
            loaded = _load(db)
        figures["load_seconds"] = round(time.perf_counter() - start, 1)
        # Queue only: the sweeps' figures are their database work; sending is measured on its own below.
        queued_send, send_pending = notifications._send_after_commit, notifications.send_pending
        notifications._send_after_commit = lambda message_id: None
        notifications.send_pending = lambda *a, **k: (0, 0)
        try:
            with time_machine.travel(T0 + timedelta(hours=1), tick=False):
                runs = [_timed(db, counter, scheduling.run_sweep) for _ in range(3)]
            figures["steady"] = {
                "seconds": statistics.median(r["seconds"] for r in runs),
                "queries": statistics.median(r["queries"] for r in runs),
            }
            with time_machine.travel(DEADLINE - timedelta(days=7), tick=False):
                burst = _timed(db, counter, scheduling.run_sweep)
            sent = burst["result"]["reminders"]["sent"]
            figures["reminders"] = {
                "seconds": burst["seconds"],
                "queries": burst["queries"],
                "reminders_sent": sent,
                "queries_per_bid": round(burst["queries"] / BIDS, 1),
                "ms_per_reminder": round(1000 * burst["seconds"] / max(sent, 1), 3),
            }
            with time_machine.travel(DEADLINE - timedelta(days=7) + timedelta(minutes=1), tick=False):
                after = _timed(db, counter, scheduling.run_sweep)
            figures["after"] = {"seconds": after["seconds"], "queries": after["queries"]}

            # Close a sample of bids: move the others' deadlines away and mark the sample's later slots done.
            sample = loaded["bid_ids"][:CLOSE_BIDS]
            db.session.execute(
                sa.update(Bid).where(Bid.id.not_in(sample)).values(deadline=DEADLINE + timedelta(days=30))
            )
            db.session.execute(
                sa.insert(ReminderSlot),
                [
                    {"bid_id": b, "slot": reminder_plan.slot_key(m, DEADLINE), "outcome": "sent", "created_at": T0}
                    for b in sample
                    for m in (2880, 1440, 120)
                ],
            )
            db.session.commit()
            with time_machine.travel(DEADLINE + timedelta(seconds=1), tick=False):
                closing = _timed(db, counter, scheduling.run_sweep)
            closed = len(closing["result"]["closed"])
            figures["close"] = {
                "seconds": closing["seconds"],
                "queries": closing["queries"],
                "bids_closed": closed,
                "ms_per_bid": round(1000 * closing["seconds"] / max(closed, 1), 1),
                "queries_per_bid": round(closing["queries"] / max(closed, 1), 1),
            }
        finally:
            notifications._send_after_commit, notifications.send_pending = queued_send, send_pending
        with time_machine.travel(DEADLINE + timedelta(minutes=1), tick=False):
            sending = _timed(db, counter, notifications.send_pending, None)
            sending_b = _timed(db, counter, lambda: notifications.send_pending(limit=1800))
        count = sending["result"][0] + sending_b["result"][0]
        seconds = sending["seconds"] + sending_b["seconds"]
        figures["send"] = {
            "emails": count,
            "ms_per_email": round(1000 * seconds / max(count, 1), 2),
            "queries_per_email": round((sending["queries"] + sending_b["queries"]) / max(count, 1), 2),
        }
        db.session.remove()
        db.engine.dispose()
    figures["rows"] = table_rows(figures)
    return figures


def table_rows(figures: dict) -> list[dict]:
    """The lines ``bench.run`` puts in the table."""
    case = f"{figures['database']}, {figures['bids']:,} bids × {figures['invitees_per_bid']} invitees"
    steady, burst, after, close = figures["steady"], figures["reminders"], figures["after"], figures["close"]
    return [
        row(
            "scheduler_sweep",
            case,
            "sweep with nothing due: seconds (queries)",
            f"{steady['seconds']:.3f} ({steady['queries']:g})",
        ),
        row(
            "scheduler_sweep",
            case,
            f"sweep sending {burst['reminders_sent']:,} reminders: seconds (queries per bid)",
            f"{burst['seconds']:.1f} ({burst['queries_per_bid']})",
        ),
        row(
            "scheduler_sweep",
            case,
            "next sweep, all claimed: seconds (queries)",
            f"{after['seconds']:.3f} ({after['queries']:g})",
        ),
        row(
            "scheduler_sweep",
            case,
            f"closing {close['bids_closed']} bids: ms (queries) per bid",
            f"{close['ms_per_bid']} ({close['queries_per_bid']})",
        ),
    ]


if __name__ == "__main__":
    import json

    print(json.dumps(main(), indent=2))
