"""Scenario 1, the deadline rush: every organisation pledges and amends three times, 32 at once.

Each simulated member is logged in through the real login page at set-up (untimed). Then, from
``clients`` concurrent threads, every organisation's member opens the pledge page (GET, which gives the
CSRF token and the version the form was opened on) and posts the form, four times: the first pledge and
three amendments. A few organisations also post a deliberately stale form (an old version) which must be
refused with 409. Rounds alternate with the baselines under the same load (project, floor, bare, project,
floor, bare) on SQLite and PostgreSQL: the four-insert floor (``POST /floor``, as many writes as the project
round accepted) and, as a second reference, the one-row insert (``POST /rows``, as many requests as the
project round made). Afterwards the database is checked against what the clients were told. Run alone:
``python -m bench.rush [--small]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import bare_app
from bench.common import (
    VERSION_RE,
    Server,
    WebSession,
    cpu_seconds,
    csrf_token,
    database_targets,
    fresh_database,
    in_process_app,
    latency_ms,
    row,
    server_env,
    workdir,
)
from bench.data import populate
from bench.verify import verify_round

WRITES_PER_ORG = 4  # the pledge and three amendments
STALE_EVERY = 50  # every 50th organisation (0, 50, 100, ...) also posts one stale form
STALE_POUNDS = "£1,234,567.89"  # a marker amount that must never be saved
REGION_SETS = [["NW"], ["NW", "YH"], ["LON", "SE", "EE"], ["WAL"]]


@dataclass
class OrgResult:
    index: int
    accepted: list[dict] = field(default_factory=list)  #: values and the version each accepted write made
    stale_statuses: list[int] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)


@dataclass
class RoundResult:
    elapsed: float = 0.0
    get_latencies: list[float] = field(default_factory=list)
    post_latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    orgs: list[OrgResult] = field(default_factory=list)
    transport_errors: int = 0
    server_cpu: float = 0.0  #: CPU seconds the server (master and workers) used during the round
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, status: int) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1


def write_values(index: int, k: int) -> dict:
    """The form the member posts on write ``k`` (0 = first pledge)."""
    pounds = (index + 1) * 1_000 + k
    return {
        "amount": f"£{pounds:,}",
        "amount_pence": pounds * 100,
        "homes": str(100 + 10 * k),
        "regions": REGION_SETS[k % len(REGION_SETS)],
        "statement": f"Grants for community groups near our homes (change {k}).",
        "status": "confirmed" if k == WRITES_PER_ORG - 1 else "indicative",
        "accept_terms": "y",
    }


def _form(values: dict, token: str, version: str) -> dict:
    form = {k: v for k, v in values.items() if k != "amount_pence"}
    form.update(csrf_token=token, version=version)
    return form


def _timed(result: RoundResult, latencies: list[float], session: WebSession, client, method, url, **kw):
    started = time.perf_counter()
    try:
        response = session.request(client, method, url, **kw)
    except httpx.HTTPError:
        with result.lock:
            result.transport_errors += 1
        return None
    elapsed = time.perf_counter() - started
    with result.lock:
        latencies.append(elapsed)
    result.count(response.status_code)
    return response


def _member_work(base: str, bid_id: int, index: int, session: WebSession, client, result: RoundResult, stale: bool):
    outcome = OrgResult(index)
    url = f"{base}/bids/{bid_id}/pledge"
    for k in range(WRITES_PER_ORG):
        page = _timed(result, result.get_latencies, session, client, "GET", url)
        if page is None or page.status_code != 200:
            outcome.unexpected.append(f"GET {getattr(page, 'status_code', 'transport error')}")
            continue
        token, version = csrf_token(page.text), VERSION_RE.search(page.text).group(1)
        values = write_values(index, k)
        posted = _timed(result, result.post_latencies, session, client, "POST", url, data=_form(values, token, version))
        if posted is not None and posted.status_code == 302:
            outcome.accepted.append({**values, "version": int(version) + 1})
        else:
            outcome.unexpected.append(f"POST {getattr(posted, 'status_code', 'transport error')}")
        if stale and k == 1:
            # Post the form as it was before this amendment: someone else's change came in between.
            old = write_values(index, 0) | {"amount": STALE_POUNDS}
            refused = _timed(
                result, result.post_latencies, session, client, "POST", url, data=_form(old, token, version)
            )
            outcome.stale_statuses.append(getattr(refused, "status_code", 0))
    return outcome


def pledge_round(
    base: str, bid_id: int, sessions: list[WebSession], clients: int, stale_every: int = STALE_EVERY
) -> RoundResult:
    result = RoundResult()
    work: queue.Queue[int] = queue.Queue()
    for index in range(len(sessions)):
        work.put(index)

    def worker():
        with httpx.Client(timeout=60, follow_redirects=False) as client:
            while True:
                try:
                    index = work.get_nowait()
                except queue.Empty:
                    return
                outcome = _member_work(base, bid_id, index, sessions[index], client, result, index % stale_every == 0)
                with result.lock:
                    result.orgs.append(outcome)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.elapsed = time.perf_counter() - started
    return result


def bare_round(base: str, requests: int, clients: int, path: str = "/rows", first: int = 0) -> RoundResult:
    """``requests`` POSTs to the bare app's ``path`` from ``clients`` threads: ``/rows`` (one row) or
    ``/floor`` (the four rows of a pledge write; ``first`` numbers them on from earlier rounds)."""
    result = RoundResult()
    counter = iter(range(first, first + requests))
    counter_lock = threading.Lock()

    def worker():
        session = WebSession()
        with httpx.Client(timeout=60) as client:
            while True:
                with counter_lock:
                    n = next(counter, None)
                if n is None:
                    return
                data = {"n": str(n), "organisation": f"Org {n}", "amount_pence": str(100_000 + n), "homes": "100"}
                _timed(result, result.post_latencies, session, client, "POST", base + path, data=data)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.elapsed = time.perf_counter() - started
    return result


def login_all(base: str, emails: list[str], threads: int = 4) -> list[WebSession]:
    """Log every member in through the real login page (set-up, not timed)."""
    sessions = [WebSession() for _ in emails]

    def login(i: int) -> None:
        with httpx.Client(timeout=60) as client:
            sessions[i].login(client, base, emails[i])

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(login, range(len(emails))))
    return sessions


def run_database(
    label: str,
    url: str,
    work: Path,
    organisations: int,
    clients: int,
    rounds: int,
    stale_every: int = STALE_EVERY,
    bare: bool = True,
) -> dict:
    """One database's rounds; ``bare=False`` skips the baseline (for a correctness check under load)."""
    print(f"  [{label}] preparing {organisations} organisations, {rounds} bids", flush=True)
    instance = work / f"instance-{label}"
    fresh_database(url, instance)
    app = in_process_app(url, instance)
    data = populate(app, organisations=organisations, bids=[organisations] * rounds)
    bare_app.create_table(url)
    env = server_env(url, instance)
    project = Server("wsgi:app", env, work / f"project-{label}.log")
    bare_server = Server("bench.bare_app:app", env, work / f"bare-{label}.log", ready_path="/health") if bare else None
    with project, bare_server or contextlib.nullcontext():
        print(f"  [{label}] logging in {organisations} members through /login", flush=True)
        sessions = login_all(project.url, data.member_emails)
        project_rounds, floor_rounds, bare_rounds, checks = [], [], [], []
        for number in range(rounds):
            print(f"  [{label}] round {number + 1}: project", flush=True)
            cpu = cpu_seconds(project.process.pid)
            result = pledge_round(project.url, data.bid_ids[number], sessions, clients, stale_every)
            result.server_cpu = cpu_seconds(project.process.pid) - cpu
            project_rounds.append(result)
            checks.append(verify_round(app, data.bid_ids[number], data.organisation_ids, result.orgs, STALE_POUNDS))
            requests = len(result.get_latencies) + len(result.post_latencies)
            if bare_server is None:
                continue
            writes = sum(len(o.accepted) for o in result.orgs)
            print(f"  [{label}] round {number + 1}: floor ({writes} four-insert writes)", flush=True)
            cpu = cpu_seconds(bare_server.process.pid)
            floor_rounds.append(bare_round(bare_server.url, writes, clients, "/floor", first=number * writes))
            floor_rounds[-1].server_cpu = cpu_seconds(bare_server.process.pid) - cpu
            print(f"  [{label}] round {number + 1}: bare ({requests} inserts)", flush=True)
            cpu = cpu_seconds(bare_server.process.pid)
            bare_rounds.append(bare_round(bare_server.url, requests, clients))
            bare_rounds[-1].server_cpu = cpu_seconds(bare_server.process.pid) - cpu
        commands = {"project": " ".join(project.command[1:])}
        if bare_server is not None:
            commands["bare"] = " ".join(bare_server.command[1:])
    bare_rows = bare_app.count_rows(url)
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()
    return {
        **summarise(label, project_rounds, bare_rounds, checks, bare_rows, commands),
        **summarise_floor(project_rounds, floor_rounds),
    }


def summarise_floor(project_rounds, floor_rounds) -> dict:
    """The project's pledge writes against the four-insert floor: writes per second, CPU per write, latency."""
    writes = sum(len(o.accepted) for r in project_rounds for o in r.orgs)
    project_time = sum(r.elapsed for r in project_rounds)
    floor_writes = sum(len(r.post_latencies) for r in floor_rounds)
    floor_time = sum(r.elapsed for r in floor_rounds)
    if not floor_writes:
        return {"floor_writes": 0}
    floor_cpu_ms = 1000 * sum(r.server_cpu for r in floor_rounds) / floor_writes
    project_cpu_ms = 1000 * sum(r.server_cpu for r in project_rounds) / max(writes, 1)
    statuses: dict[int, int] = {}
    for r in floor_rounds:
        for status, n in r.statuses.items():
            statuses[str(status)] = statuses.get(str(status), 0) + n
    return {
        "floor_writes": floor_writes,
        "floor_writes_per_s": round(floor_writes / floor_time, 1),
        "ratio_writes_floor": round((writes / project_time) / (floor_writes / floor_time), 3),
        "server_cpu_ms_per_floor_write": round(floor_cpu_ms, 2),
        "ratio_cpu_floor": round(project_cpu_ms / floor_cpu_ms, 2) if floor_cpu_ms else None,
        "floor_latency": latency_ms([x for r in floor_rounds for x in r.post_latencies]),
        "floor_statuses": statuses,
        "floor_server_errors": sum(n for s, n in statuses.items() if int(s) >= 500),
    }


def summarise(label, project_rounds, bare_rounds, checks, bare_rows, commands) -> dict:
    writes = sum(len(o.accepted) for r in project_rounds for o in r.orgs)
    project_time = sum(r.elapsed for r in project_rounds)
    bare_requests = sum(len(r.post_latencies) for r in bare_rounds)
    bare_time = sum(r.elapsed for r in bare_rounds) or float("nan")  # nan: run without the baseline
    project_requests = sum(len(r.get_latencies) + len(r.post_latencies) for r in project_rounds)
    statuses: dict[int, int] = {}
    for r in project_rounds:
        for status, n in r.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    bare_statuses: dict[int, int] = {}
    for r in bare_rounds:
        for status, n in r.statuses.items():
            bare_statuses[status] = bare_statuses.get(status, 0) + n
    project_cpu_ms = 1000 * sum(r.server_cpu for r in project_rounds) / max(writes, 1)
    bare_cpu_ms = 1000 * sum(r.server_cpu for r in bare_rounds) / max(bare_requests, 1)
    stale = [s for r in project_rounds for o in r.orgs for s in o.stale_statuses]
    unexpected = [u for r in project_rounds for o in r.orgs for u in o.unexpected]
    return {
        "database": label,
        "pledge_writes": writes,
        "pledge_writes_per_s": round(writes / project_time, 1),
        "project_requests_per_s": round(project_requests / project_time, 1),
        "bare_inserts_per_s": round(bare_requests / bare_time, 1) if bare_requests else None,
        "ratio_writes": round((writes / project_time) / (bare_requests / bare_time), 3) if bare_requests else None,
        "ratio_requests": (
            round((project_requests / project_time) / (bare_requests / bare_time), 3) if bare_requests else None
        ),
        "server_cpu_ms_per_write": round(project_cpu_ms, 2),
        "server_cpu_ms_per_bare_insert": round(bare_cpu_ms, 2),
        "post_latency": latency_ms([x for r in project_rounds for x in r.post_latencies]),
        "get_latency": latency_ms([x for r in project_rounds for x in r.get_latencies]),
        "bare_latency": latency_ms([x for r in bare_rounds for x in r.post_latencies]),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "bare_statuses": {str(k): v for k, v in sorted(bare_statuses.items())},
        "server_errors": sum(n for s, n in statuses.items() if s >= 500)
        + sum(n for s, n in bare_statuses.items() if s >= 500),
        "transport_errors": sum(r.transport_errors for r in project_rounds + bare_rounds),
        "unexpected": unexpected[:20],
        "unexpected_count": len(unexpected),
        "stale_posted": len(stale),
        "stale_refused_409": sum(1 for s in stale if s == 409),
        "bare_rows_in_db": bare_rows,
        "bare_requests": bare_requests,
        "rounds": [
            {"project_s": round(p.elapsed, 2), "bare_s": round(b.elapsed, 2) if b else None}
            for p, b in zip(project_rounds, bare_rounds or [None] * len(project_rounds), strict=True)
        ],
        "checks": _merge_checks(checks),
        "commands": commands,
    }


def _merge_checks(checks: list[dict]) -> dict:
    merged: dict = {}
    for check in checks:
        for key, value in check.items():
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            else:
                merged[key] = merged.get(key, 0) + value
    merged["problems"] = merged.get("problems", [])[:20]
    return merged


def rows_for(result: dict, clients: int) -> list[dict]:
    out = []
    for db in result["databases"]:
        case = f"{db['database']}, {result['organisations']} orgs, {clients} clients"
        checks = db["checks"]
        lost = checks["lost"] + checks["revision_mismatch"] + checks["audit_mismatch"] + checks["event_mismatch"]
        other = db["transport_errors"] + sum(1 for u in db["unexpected"] if not u.startswith("POST 5"))
        cpu, bare_cpu = db["server_cpu_ms_per_write"], db["server_cpu_ms_per_bare_insert"]
        post, get, bare = db["post_latency"], db["get_latency"], db["bare_latency"]
        stale_ok = db["stale_refused_409"] == db["stale_posted"] and checks["stale_saved"] == 0

        def add(measure, project, baseline=None, ratio=None, target="", met=None, case=case):
            out.append(row("rush", case, measure, project, baseline, ratio, target, met))

        floor = db.get("floor_latency") or {}
        add(
            "pledge writes/s (GET form + POST) vs four-insert floor writes/s",
            db["pledge_writes_per_s"],
            db.get("floor_writes_per_s"),
            db.get("ratio_writes_floor"),
        )
        add(
            "server CPU ms per pledge write (GET form + POST) vs per floor write",
            cpu,
            db.get("server_cpu_ms_per_floor_write"),
            db.get("ratio_cpu_floor"),
            "≤ 4.5×",
            db.get("ratio_cpu_floor") is not None and db["ratio_cpu_floor"] <= 4.5,
        )
        add(
            "pledge writes/s vs bare one-row inserts/s (second reference)",
            db["pledge_writes_per_s"],
            db["bare_inserts_per_s"],
            db["ratio_writes"],
        )
        add(
            "requests/s vs bare requests/s",
            db["project_requests_per_s"],
            db["bare_inserts_per_s"],
            db["ratio_requests"],
        )
        add(
            "server CPU ms per pledge write vs per bare one-row insert",
            cpu,
            bare_cpu,
            round(cpu / bare_cpu, 1) if bare_cpu else None,
        )
        add(
            "pledge POST median / p99 ms (baseline: floor POST)",
            f"{post['median_ms']} / {post['p99_ms']}",
            f"{floor.get('median_ms')} / {floor.get('p99_ms')}" if floor else None,
            None,
            "p99 < 250 ms",
            post["p99_ms"] < 250,
        )
        add("bare one-row POST median / p99 ms", f"{bare['median_ms']} / {bare['p99_ms']}")
        add("form GET median / p99 ms", f"{get['median_ms']} / {get['p99_ms']}")
        errors = db["server_errors"] + db.get("floor_server_errors", 0)
        add("5xx responses (project, floor and bare)", errors, None, None, "0", errors == 0)
        add("other errors (transport, unexpected status)", other, None, None, "0", other == 0)
        add("lost or unrecorded writes (of accepted)", f"{lost} of {db['pledge_writes']}", None, None, "0", lost == 0)
        add(
            "stale forms refused with 409 (values saved)",
            f"{db['stale_refused_409']} of {db['stale_posted']} (saved {checks['stale_saved']})",
            None,
            None,
            "all (0)",
            stale_ok,
        )
    return out


def main(small: bool = False, clients: int = 32, organisations: int | None = None, rounds: int = 2) -> dict:
    organisations = organisations or (50 if small else 500)
    result = {"scenario": "rush", "organisations": organisations, "clients": clients, "databases": []}
    with workdir("rush") as work:
        for label, url in database_targets(work, "rush"):
            result["databases"].append(run_database(label, url, work, organisations, clients, rounds))
    result["rows"] = rows_for(result, clients)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="50 organisations instead of 500")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--organisations", type=int)
    args = parser.parse_args()
    outcome = main(small=args.small, clients=args.clients, organisations=args.organisations)
    print(json.dumps({k: v for k, v in outcome.items() if k != "rows"}, indent=2, default=str))
