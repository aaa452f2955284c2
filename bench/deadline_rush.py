"""Scenario: writes across the deadline. 300 writers pledge from 6 s before to 3 s after the deadline.

Set-up (untimed): organisations with a member each and an API token per member. Then, once every writer's
thread is waiting, the bid's deadline is set a few seconds ahead and each writer makes its first pledge
(``PUT /api/v1/bids/<id>/pledge`` with ``If-None-Match: *``, create only) at its own moment, spread evenly
over the window. Every tenth organisation has a second writer sending the same first pledge 0.1 s later,
so that one of the pair is refused as stale.

Each response is judged by the moment the server says it received the write (the ``Received-At`` header,
stamped before anything else in the app runs): received before the deadline, it must be saved or refused
only as stale; received at or after it, it must be refused as closed. Then the database is checked: one
pledge, one revision and one audit row per accepted write, with the values and the receive time of that
write; nothing else saved. Run alone: ``python -m bench.deadline_rush [--small]``.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench.common import (
    Server,
    database_targets,
    fresh_database,
    in_process_app,
    latency_ms,
    row,
    server_env,
    workdir,
)
from bench.data import populate

WRITERS = 300
BEFORE_S = 6.0  #: the first write goes this long before the deadline
AFTER_S = 3.0  #: the last write goes this long after it
PAIRED_EVERY = 10  #: every 10th organisation has a second writer posting the same form
LEAD_S = 2.0  #: time between setting the deadline and the first write
CLOSED = "The deadline passed at"  #: in the 409 problem's detail
STALE = ("changed this pledge after you opened the form", "saved this pledge at the same moment")


@dataclass
class Write:
    writer: int
    organisation: int
    amount_pence: int
    planned: float  #: seconds from the deadline at which the writer was to post (negative: before)
    sent: datetime | None = None
    answered: datetime | None = None
    received: datetime | None = None
    status: int = 0
    outcome: str = ""  #: accepted, stale, closed, server error, transport error, unexpected
    latency: float = 0.0


@dataclass
class Result:
    label: str
    deadline: datetime
    writes: list[Write] = field(default_factory=list)
    checks: dict = field(default_factory=dict)
    command: str = ""
    floor: list[Write] = field(default_factory=list)  #: the same writers against the four-insert floor


def plan(writers: int, before: float, after: float) -> list[tuple[int, int, float]]:
    """(writer, organisation index, seconds from the deadline) for every writer, evenly over the window.

    Every ``PAIRED_EVERY``-th organisation (0, 10, 20, ...) has a second writer, posting the same form
    0.1 s after the first: of the two, at most one can be saved.
    """
    paired = writers // (PAIRED_EVERY + 1)
    organisations = writers - paired
    span = before + after
    moments = [-before + span * o / max(organisations - 1, 1) for o in range(organisations)]
    slots = [(o, moments[o]) for o in range(organisations)]
    slots += [(o, moments[o] + 0.1) for o in range(0, organisations, PAIRED_EVERY)][:paired]
    return [(writer, organisation, round(at, 4)) for writer, (organisation, at) in enumerate(slots)]


def classify(response: httpx.Response) -> str:
    if response.status_code == 201:
        return "accepted"
    if response.status_code >= 500:
        return "server error"
    detail = response.json().get("detail", "") if response.status_code == 409 else ""
    if CLOSED in detail:
        return "closed"
    if any(s in detail for s in STALE):
        return "stale"
    return "unexpected"


def _body(amount_pence: int) -> dict:
    return {
        "amount_pence": amount_pence,
        "homes": 100,
        "regions": ["NW"],
        "statement": "Grants for community groups near our homes.",
        "status": "confirmed",
        "accept_terms": True,
    }


def rush(
    base: str, bid_id: int, tokens: list[str], schedule, set_deadline, floor: bool = False
) -> tuple[datetime, list[Write]]:
    """Every writer posts its form at its planned moment (by the wall clock the server also uses).

    The writers' threads are started first; once all are waiting, ``set_deadline()`` fixes the deadline
    (returning it) and they go. ``floor``: each writer posts the four-insert floor (``POST /floor`` of
    ``bench.bare_app``) instead, at the same moment.
    """
    writes = [Write(w, o, (o + 1) * 100_000 + w, at) for w, o, at in schedule]
    ready = threading.Barrier(len(writes) + 1)
    go = threading.Event()
    holder: dict[str, datetime] = {}
    limits = httpx.Limits(max_connections=len(writes) + 8, max_keepalive_connections=len(writes) + 8)

    def post(client: httpx.Client, write: Write) -> None:
        headers = {"Authorization": f"Bearer {tokens[write.organisation]}", "If-None-Match": "*"}
        ready.wait()
        go.wait()
        pause = (holder["deadline"] + timedelta(seconds=write.planned) - datetime.now(UTC)).total_seconds()
        if pause > 0:
            time.sleep(pause)
        write.sent = datetime.now(UTC)
        began = time.perf_counter()
        try:
            if floor:
                response = client.post(f"{base}/floor", data={"n": str(write.writer)})
            else:
                response = client.put(
                    f"{base}/api/v1/bids/{bid_id}/pledge", json=_body(write.amount_pence), headers=headers
                )
        except httpx.HTTPError as exc:
            write.outcome = f"transport error: {type(exc).__name__}"
            return
        write.latency = time.perf_counter() - began
        write.answered = datetime.now(UTC)
        write.status = response.status_code
        write.outcome = classify(response)
        stamp = response.headers.get("Received-At")
        write.received = datetime.fromisoformat(stamp) if stamp else None

    with httpx.Client(timeout=120, follow_redirects=False, limits=limits) as client:
        threads = [threading.Thread(target=post, args=(client, w)) for w in writes]
        for thread in threads:
            thread.start()
        ready.wait()
        holder["deadline"] = set_deadline()
        go.set()
        for thread in threads:
            thread.join()
    return holder["deadline"], writes


def judge(writes: list[Write], deadline: datetime) -> dict:
    """What the responses say against the rule: before the deadline saved (or stale), after it refused."""
    wrong: list[str] = []
    for w in writes:
        if w.received is None:
            wrong.append(f"writer {w.writer}: {w.outcome or w.status} without a Received-At stamp")
            continue
        if w.received < w.sent - timedelta(milliseconds=50) or w.received > w.answered + timedelta(milliseconds=50):
            wrong.append(f"writer {w.writer}: received {w.received} outside sent {w.sent} .. answered {w.answered}")
        if w.received < deadline and w.outcome not in ("accepted", "stale"):
            wrong.append(f"writer {w.writer}: received {w.received - deadline} before the deadline, {w.outcome}")
        if w.received >= deadline and w.outcome != "closed":
            wrong.append(f"writer {w.writer}: received {w.received - deadline} after the deadline, {w.outcome}")
    before = [w for w in writes if w.received is not None and w.received < deadline]
    return {
        "writers": len(writes),
        "received_before_deadline": len(before),
        "received_after_deadline": sum(1 for w in writes if w.received is not None and w.received >= deadline),
        "outcomes": dict(Counter(w.outcome for w in writes)),
        "accepted_answered_after_deadline": sum(
            1 for w in writes if w.outcome == "accepted" and w.answered and w.answered >= deadline
        ),
        "latest_accepted_received_s": max(
            ((w.received - deadline).total_seconds() for w in writes if w.outcome == "accepted"), default=None
        ),
        "earliest_closed_received_s": min(
            ((w.received - deadline).total_seconds() for w in writes if w.outcome == "closed"), default=None
        ),
        "wrong": wrong,
    }


def verify(app, bid_id: int, organisation_ids: list[int], writes: list[Write]) -> dict:
    """The database holds exactly the accepted writes: values, receive time, one revision and audit row each."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import AuditEvent, Pledge, PledgeRevision

    accepted = {w.organisation: w for w in writes if w.outcome == "accepted"}
    problems: list[str] = [
        f"organisation {o}: {n} writes of the same form were both accepted"
        for o, n in Counter(w.organisation for w in writes if w.outcome == "accepted").items()
        if n > 1
    ]
    with app.app_context():
        pledges = {p.organisation_id: p for p in db.session.scalars(sa.select(Pledge).where(Pledge.bid_id == bid_id))}
        revisions = Counter(
            db.session.scalars(sa.select(PledgeRevision.pledge_id).where(PledgeRevision.bid_id == bid_id))
        )
        audits = Counter(
            db.session.scalars(
                sa.select(AuditEvent.subject_id).where(
                    AuditEvent.bid_id == bid_id, AuditEvent.subject_type == "Pledge", AuditEvent.action.like("pledge.%")
                )
            )
        )
        for index, org_id in enumerate(organisation_ids):
            pledge, write = pledges.get(org_id), accepted.get(index)
            if write is None:
                if pledge is not None:
                    problems.append(f"organisation {index}: a pledge was saved but every write was refused")
                continue
            if pledge is None:
                problems.append(f"organisation {index}: accepted write {write.writer} is not in the database")
                continue
            if pledge.amount_pence != write.amount_pence:
                problems.append(f"organisation {index}: holds {pledge.amount_pence}, accepted {write.amount_pence}")
            if pledge.updated_at != write.received:
                problems.append(f"organisation {index}: saved at {pledge.updated_at}, received {write.received}")
            if revisions[pledge.id] != 1 or audits[pledge.id] != 1:
                problems.append(f"organisation {index}: {revisions[pledge.id]} revisions, {audits[pledge.id]} audits")
        db.session.remove()
    return {
        "accepted": len(accepted),
        "pledges_in_db": len(pledges),
        "revisions_in_db": sum(revisions.values()),
        "audits_in_db": sum(audits.values()),
        "problems": problems,
    }


def make_tokens(app, emails: list[str]) -> list[str]:
    """An API token for every member (set-up), in member order."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import User
    from app.services import api_tokens

    with app.app_context():
        users = {u.email: u for u in db.session.scalars(sa.select(User).where(User.email.in_(emails)))}
        out = [api_tokens.create_token(users[email], "deadline rush")[0] for email in emails]
        db.session.commit()
        db.session.remove()
    return out


def write_rate(writes: list[Write]) -> float | None:
    """Accepted writes per second among those planned before the deadline: their count over the time from the
    first one sent to the last one answered (the project and its floor are measured the same way)."""
    done = [w for w in writes if w.outcome == "accepted" and w.planned < 0 and w.sent and w.answered]
    if not done:
        return None
    span = (max(w.answered for w in done) - min(w.sent for w in done)).total_seconds()
    return round(len(done) / span, 1) if span > 0 else None


def floor_run(url: str, work: Path, label: str, tokens_count: int, schedule) -> list[Write]:
    """The same writers at the same moments against the four-insert floor (the bare app's ``POST /floor``)."""
    from bench import bare_app
    from bench.common import server_env as env_for

    bare_app.create_table(url)
    server = Server(
        "bench.bare_app:app", env_for(url, work / f"instance-deadline-{label}"), work / f"deadline-floor-{label}.log",
        ready_path="/health",
    )  # fmt: skip
    with server:
        print(f"  [{label}] floor: {len(schedule)} writers at the same moments", flush=True)

        def set_deadline() -> datetime:
            return (datetime.now(UTC) + timedelta(seconds=LEAD_S + BEFORE_S + 1)).replace(microsecond=0)

        _deadline, writes = rush(server.url, 0, [""] * tokens_count, schedule, set_deadline, floor=True)
    return writes


def run_database(
    label: str, url: str, work: Path, writers: int = WRITERS, before: float = BEFORE_S, after: float = AFTER_S
) -> Result:
    schedule = plan(writers, before, after)
    organisations = max(o for _w, o, _at in schedule) + 1
    started = time.perf_counter()
    print(f"  [{label}] preparing {organisations} organisations for {writers} writers", flush=True)
    instance = work / f"instance-deadline-{label}"
    fresh_database(url, instance)
    app = in_process_app(url, instance)
    data = populate(app, organisations=organisations, bids=[organisations])
    bid_id = data.bid_ids[0]
    tokens = make_tokens(app, data.member_emails)
    # Every writer is one API caller: the per-token limit is not what is measured.
    server = Server(
        "wsgi:app", server_env(url, instance, API_RATE_LIMIT="100000 per minute"), work / f"deadline-{label}.log"
    )
    with server:
        print(
            f"  [{label}] set-up took {time.perf_counter() - started:.1f} s; {writers} writers from {before:g} s "
            f"before to {after:g} s after the deadline",
            flush=True,
        )

        def set_deadline() -> datetime:
            deadline = (datetime.now(UTC) + timedelta(seconds=LEAD_S + before + 1)).replace(microsecond=0)
            _set_deadline(app, bid_id, deadline)
            return deadline

        deadline, writes = rush(server.url, bid_id, tokens, schedule, set_deadline)
        command = " ".join(server.command[1:])
    result = Result(label, deadline, writes, command=command)
    result.checks = verify(app, bid_id, data.organisation_ids, writes)
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()
    result.floor = floor_run(url, work, label, organisations, schedule)
    return result


def _set_deadline(app, bid_id: int, deadline: datetime) -> None:
    from app.extensions import db
    from app.models import Bid

    with app.app_context():
        db.session.get(Bid, bid_id).deadline = deadline
        db.session.commit()
        db.session.remove()


def summarise(result: Result) -> dict:
    judged = judge(result.writes, result.deadline)
    accepted = [w.latency for w in result.writes if w.outcome == "accepted"]
    refused = [w.latency for w in result.writes if w.outcome in ("closed", "stale")]
    return {
        "database": result.label,
        "deadline": result.deadline.isoformat(),
        **judged,
        "wrong": judged["wrong"][:20],
        "wrong_count": len(judged["wrong"]),
        "server_errors": sum(1 for w in result.writes if w.status >= 500),
        "transport_errors": sum(1 for w in result.writes if w.outcome.startswith("transport")),
        "latency_all": latency_ms([w.latency for w in result.writes if w.status]),
        "latency_accepted": latency_ms(accepted),
        "latency_refused": latency_ms(refused),
        "accepted_writes_per_s": write_rate(result.writes),
        "floor_writes_per_s": write_rate(result.floor),
        "floor_latency": latency_ms([w.latency for w in result.floor if w.status]),
        "floor_outcomes": dict(Counter(w.outcome for w in result.floor)),
        "checks": {**result.checks, "problems": result.checks["problems"][:20]},
        "problem_count": len(result.checks["problems"]),
        "command": result.command,
    }


def rows_for(summaries: list[dict], writers: int, before: float, after: float) -> list[dict]:
    out = []
    for s in summaries:
        case = f"{s['database']}, {writers} writers, {before:g} s before to {after:g} s after"
        outcomes = s["outcomes"]

        def add(measure, project, target="", met=None, case=case):
            out.append(row("deadline_rush", case, measure, project, None, None, target, met))

        add(
            "received before / after the deadline",
            f"{s['received_before_deadline']} / {s['received_after_deadline']}",
        )
        add(
            "accepted / refused stale / refused closed",
            f"{outcomes.get('accepted', 0)} / {outcomes.get('stale', 0)} / {outcomes.get('closed', 0)}",
        )
        add("judged wrongly by receive time", s["wrong_count"], "0", s["wrong_count"] == 0)
        add("5xx and transport errors", s["server_errors"] + s["transport_errors"], "0",
            s["server_errors"] + s["transport_errors"] == 0)  # fmt: skip
        add("lost or unrecorded writes (of accepted)", s["problem_count"], "0", s["problem_count"] == 0)
        rate, floor_rate = s["accepted_writes_per_s"], s["floor_writes_per_s"]
        ratio = round(rate / floor_rate, 3) if rate and floor_rate else None
        out.append(
            row(
                "deadline_rush", case, "accepted writes/s (planned before the deadline) vs the floor's, same way",
                rate, floor_rate, ratio, "ratio ≥ 0.35", ratio is not None and ratio >= 0.35,
            )
        )  # fmt: skip
        p99 = s["latency_all"]["p99_ms"]
        out.append(
            row(
                "deadline_rush", case, "PUT p50 / p99 ms (all writes; baseline: floor POST)",
                f"{s['latency_all']['median_ms']} / {p99}",
                f"{s['floor_latency']['median_ms']} / {s['floor_latency']['p99_ms']}", None, "p99 < 1 s", p99 < 1000,
            )
        )  # fmt: skip
        add(
            "accepted answered after the deadline (received before it)",
            s["accepted_answered_after_deadline"],
        )
    return out


def main(small: bool = False, writers: int | None = None, before: float = BEFORE_S, after: float = AFTER_S) -> dict:
    writers = writers or (60 if small else WRITERS)
    summaries = []
    with workdir("deadline") as work:
        for label, url in database_targets(work, "deadline"):
            summaries.append(summarise(run_database(label, url, work, writers, before, after)))
    return {
        "scenario": "deadline_rush",
        "writers": writers,
        "databases": [{**s, "commands": {"project": s["command"]}} for s in summaries],
        "rows": rows_for(summaries, writers, before, after),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="60 writers instead of 300")
    parser.add_argument("--writers", type=int)
    args = parser.parse_args()
    outcome = main(small=args.small, writers=args.writers)
    print(json.dumps({k: v for k, v in outcome.items() if k != "rows"}, indent=1, default=str))
