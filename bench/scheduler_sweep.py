"""Scheduler sweep benchmark: 1,000 open bids with 100 invitees each; time and queries per sweep.

Run alone: ``.venv/bin/python -m bench.scheduler_sweep [--small]``: SQLite (a file in a temporary folder), then
PostgreSQL at ``BENCH_POSTGRES_URL`` when it is reachable (its public schema is dropped and migrated first);
``BENCH_DATABASE_URL=...`` runs that one database only. ``--small``: 100 bids. ``main()`` returns the figures.

Phases (time moved with time_machine):
  steady     a sweep when nothing is due (the usual case, every SWEEP_SECONDS)
  reminders  a sweep when one planned slot is due on every bid (80 of each bid's 100 invitees are chased)
  after      the next sweep: everything already claimed
  close      a sweep closing BENCH_CLOSE_BIDS bids at their deadline, with every closing notice
  send       sending 2,000 queued emails through the dummy mail backend
  floor      the same rows as the reminder sweep's (a slot claim, the links and their audit rows, the outbox
             rows with the same bodies, the ReminderSend rows), inserted per bid with prebuilt Core statements,
             batched as the sweep batches them (each bid in a SAVEPOINT, units.BATCH bids per transaction): what
             the sweep cannot go below, measured in the same run; the sweep's ratio is to this
  floor_per_bid  the same again with one transaction per bid (how the sweep committed before it batched), to
             show what the batching itself saves
Emails are queued by the sweeps and sent in the separate "send" phase, so the sweep figures are the
database work alone (in production the sending happens after each commit, in a background thread).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import time_machine
from sqlalchemy import event

from bench.common import POSTGRES_URL, load_average, postgres_available, reset_database, row

BIDS = int(os.environ.get("BENCH_BIDS", "1000"))
INVITEES = 100
CLOSE_BIDS = int(os.environ.get("BENCH_CLOSE_BIDS", "50"))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEADLINE = T0 + timedelta(days=10)
#: targets: queries per bid for a reminder slot and for closing (both databases); the full reminder sweep
#: (80,000 reminders) on SQLite in under this many seconds
MAX_QUERIES_PER_BID = 15
MAX_SWEEP_SECONDS_SQLITE = 8.0


class QueryCounter:
    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args, **kwargs) -> None:
        self.count += 1


def _make_app(url: str | None = None):
    from app import create_app
    from config import TestConfig, database_url

    if url and url.startswith("postgres"):
        url = database_url(url)
    elif not url:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-sched-')}/bench.db"
    return create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, MAIL_BACKEND="dummy", DIGEST_HOUR=24)


def _targets() -> list[str | None]:
    """The databases to run on: BENCH_DATABASE_URL alone, or SQLite and (when reachable) PostgreSQL."""
    if os.environ.get("BENCH_DATABASE_URL"):
        return [os.environ["BENCH_DATABASE_URL"]]
    if postgres_available():
        return [None, POSTGRES_URL]
    print(f"  note: PostgreSQL at {POSTGRES_URL} is not reachable; scheduler_sweep runs on SQLite only", flush=True)
    return [None]


def _load(db, bids: int = BIDS) -> dict:
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
            for n in range(bids)
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
    start, cpu = time.perf_counter(), time.process_time()
    result = fn(*args)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    db.session.remove()
    return {"seconds": round(elapsed, 3), "cpu_seconds": round(cpu, 3), "queries": counter.count, "result": result}


def _floor(db, slot: str, *, batch: int, floor_slot: str) -> dict:
    """Insert the rows the reminder sweep wrote for ``slot`` once more (under ``floor_slot``), per bid in a
    SAVEPOINT of prebuilt Core statements, ``batch`` bids per transaction (1: a transaction per bid, no
    SAVEPOINT): the claim, the links and their audit rows, the outbox rows (same addresses, subjects and bodies,
    ids returned in order) and the ReminderSend rows. Nothing is rendered or signed: this is the database work
    alone, the floor the sweep is compared with."""
    from app.models import AuditEvent, EmailMessage, InvitationLink, ReminderSend, ReminderSlot

    email, send = EmailMessage.__table__, ReminderSend.__table__
    sends = db.session.execute(
        sa.select(send.c.bid_id, send.c.invitation_id, send.c.kind, email)
        .join(email, email.c.id == send.c.email_id)
        .where(send.c.slot == slot)
        .order_by(send.c.bid_id, send.c.id)
    ).all()
    db.session.remove()
    by_bid: dict[int, list] = {}
    for found in sends:
        by_bid.setdefault(found.bid_id, []).append(found)
    insert_slot = sa.insert(ReminderSlot.__table__)
    insert_link, insert_audit = sa.insert(InvitationLink.__table__), sa.insert(AuditEvent.__table__)
    insert_email = sa.insert(email).returning(email.c.id, sort_by_parameter_order=True)
    insert_send = sa.insert(send)
    prepared = []
    for bid_id, found in by_bid.items():
        waiting = [f.invitation_id for f in found if f.kind == "not_responded"]
        prepared.append(
            (
                bid_id,
                found,
                [
                    {"invitation_id": i, "token_hash": uuid.uuid4().hex * 2, "reason": "reminder", "created_at": T0}
                    for i in waiting
                ],
                [
                    {
                        "action": "invitation.link_reissued",
                        "bid_id": bid_id,
                        "organisation_id": None,
                        "subject_type": "Invitation",
                        "subject_id": i,
                        "after": {"reason": "reminder"},
                        "created_at": T0,
                    }
                    for i in waiting
                ],
                [
                    {
                        "message_id": f"<{uuid.uuid4().hex}@floor>",
                        "to_address": f.to_address,
                        "reply_to": None,
                        "subject": f.subject,
                        "body_text": f.body_text,
                        "body_html": f.body_html,
                        "kind": f.kind_1,
                        "bid_id": bid_id,
                        "status": "sent",
                        "attempts": 0,
                        "created_at": T0,
                        "next_attempt_at": T0,
                    }
                    for f in found
                ],
            )
        )

    def write(conn, bid_id, found, links, audits, emails) -> None:
        conn.execute(insert_slot, [{"bid_id": bid_id, "slot": floor_slot, "outcome": "sent", "created_at": T0}])
        if links:
            conn.execute(insert_link, links)
            conn.execute(insert_audit, audits)
        ids = conn.execute(insert_email, emails).scalars().all()
        conn.execute(
            insert_send,
            [
                {
                    "bid_id": bid_id,
                    "invitation_id": f.invitation_id,
                    "slot": floor_slot,
                    "kind": f.kind,
                    "outcome": "sent",
                    "note": None,
                    "email_id": email_id,
                    "created_at": T0,
                }
                for f, email_id in zip(found, ids, strict=True)
            ],
        )

    start, cpu = time.perf_counter(), time.process_time()
    for first in range(0, len(prepared), batch):
        with db.engine.begin() as conn:
            for bid in prepared[first : first + batch]:
                if batch == 1:
                    write(conn, *bid)
                    continue
                with conn.begin_nested():
                    write(conn, *bid)
    return {
        "seconds": round(time.perf_counter() - start, 3),
        "cpu_seconds": round(time.process_time() - cpu, 3),
        "rows": len(sends),
    }


def main(small: bool = False) -> dict:
    bids = 100 if small else BIDS
    runs = [_run(url, bids) for url in _targets()]
    return {"runs": runs, "load_average_after": load_average(), "rows": [r for run in runs for r in table_rows(run)]}


def _run(url: str | None, bids: int) -> dict:
    from app import notifications
    from app.extensions import db
    from app.infra import units
    from app.models import Bid, ReminderSlot
    from app.services import reminder_plan, scheduling

    if url:
        reset_database(url)
    app = _make_app(url)
    figures: dict = {"bids": bids, "invitees_per_bid": INVITEES, "load_average_before": load_average()}
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        figures["database"] = db.engine.dialect.name
        counter = QueryCounter(db.engine)
        start = time.perf_counter()
        with time_machine.travel(T0, tick=False):
            loaded = _load(db, bids)
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
                "cpu_seconds": burst["cpu_seconds"],
                "queries": burst["queries"],
                "reminders_sent": sent,
                "queries_per_bid": round(burst["queries"] / bids, 1),
                "ms_per_bid": round(1000 * burst["seconds"] / bids, 2),
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
                "cpu_seconds": closing["cpu_seconds"],
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
        slot = reminder_plan.slot_key(7 * 1440, DEADLINE)
        figures["floor"] = _floor(db, slot, batch=units.BATCH, floor_slot=f"floor:{slot}")
        figures["floor"]["batch"] = units.BATCH
        figures["floor"]["ratio"] = round(figures["reminders"]["seconds"] / max(figures["floor"]["seconds"], 1e-9), 2)
        figures["floor"]["ms_per_bid"] = round(1000 * figures["floor"]["seconds"] / bids, 2)
        figures["floor_per_bid"] = _floor(db, slot, batch=1, floor_slot=f"floor-per-bid:{slot}")
        figures["floor_per_bid"]["ms_per_bid"] = round(1000 * figures["floor_per_bid"]["seconds"] / bids, 2)
        db.session.remove()
        db.engine.dispose()
    figures["load_average_after"] = load_average()
    return figures


def table_rows(figures: dict) -> list[dict]:
    """The lines ``bench.run`` puts in the table."""
    sqlite = figures["database"] == "sqlite"
    case = f"{figures['database']}, {figures['bids']:,} bids × {figures['invitees_per_bid']} invitees"
    steady, burst, after, close = figures["steady"], figures["reminders"], figures["after"], figures["close"]
    floor = figures["floor"]
    full = figures["bids"] == 1000
    time_target = f"< {MAX_SWEEP_SECONDS_SQLITE:g} s" if sqlite else ""
    time_met = burst["seconds"] < MAX_SWEEP_SECONDS_SQLITE if sqlite and full else None
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
            f"sweep sending {burst['reminders_sent']:,} reminders: seconds (CPU s) vs inserting the same rows "
            f"({floor.get('batch', 1)} bids per transaction)",
            f"{burst['seconds']:.1f} ({burst['cpu_seconds']:.1f})",
            baseline=f"{floor['seconds']:.1f} ({floor['cpu_seconds']:.1f})",
            ratio=floor["ratio"],
            target=time_target + ("" if full or not sqlite else " (full size only)"),
            met=time_met,
        ),
        row(
            "scheduler_sweep",
            case,
            "reminder sweep: ms per bid vs inserting the same rows batched, and one transaction per bid",
            f"{burst['ms_per_bid']:g}",
            baseline=f"{floor['ms_per_bid']:g}; {figures['floor_per_bid']['ms_per_bid']:g}",
        ),
        row(
            "scheduler_sweep",
            case,
            "reminder slot: queries per bid",
            f"{burst['queries_per_bid']:g}",
            target=f"≤ {MAX_QUERIES_PER_BID}",
            met=burst["queries_per_bid"] <= MAX_QUERIES_PER_BID,
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
            f"closing {close['bids_closed']} bids with every notice: queries per bid (ms per bid)",
            f"{close['queries_per_bid']:g} ({close['ms_per_bid']:g})",
            target=f"≤ {MAX_QUERIES_PER_BID}",
            met=close["queries_per_bid"] <= MAX_QUERIES_PER_BID,
        ),
    ]


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="100 bids instead of 1,000")
    args = parser.parse_args()
    print(json.dumps({k: v for k, v in main(small=args.small).items() if k != "rows"}, indent=2, default=str))
