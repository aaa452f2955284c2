"""Live fan-out: N open streams on one bid against gunicorn on loopback while pledges arrive.

Measures, for every pledge and every stream, the time from the event row's timestamp (written in the pledge's
transaction, just before its commit) to the arrival at the stream of its activity message and of its update
message: median and 99th percentile. The server's CPU per pledge with no stream open and with the streams
open (the ratio is what fan-out costs). An ordinary page's latency (the convenor's dashboard) with no
streams, with the streams open and idle, and while pledges fan out; the ratios say how much the streams slow
ordinary requests.

    .venv/bin/python -m bench.live_fanout            # 200 streams, then 1,000, 20 pledges each
    BENCH_STREAMS=50 BENCH_PLEDGES=6 .venv/bin/python -m bench.live_fanout

Runs against a fresh SQLite file (or BENCH_DATABASE_URL), with Redis when it answers on 127.0.0.1:6379 (two
workers), else one worker. The client runs on the same 2-core machine as the server, so it competes for CPU:
the figures are an upper bound on what the server alone would show.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import httpx

from bench.common import PASSWORD, row

ROOT = Path(__file__).resolve().parent.parent
CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_up() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 6379)) == 0


def server_cpu_seconds(master_pid: int) -> float:
    """User + system CPU seconds used so far by the gunicorn master's workers (from /proc; Linux only)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:  # ppid
            total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def prepare(database_url: str, members: int) -> dict:
    """Migrate and seed: a convenor, an open bid and ``members`` joined organisations with a user each."""
    os.environ.setdefault("SECRET_KEY", "bench-secret")
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from bench.data import populate
    from config import TestConfig

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        if database_url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade()
    data = populate(app, organisations=members, bids=[members])  # joined through the services, no pledge yet
    with app.app_context():
        db.engine.dispose()
    return {"bid_id": data.bid_ids[0], "convenor": data.convenor_email, "members": data.member_emails}


async def login(client: httpx.AsyncClient, email: str) -> None:
    page = await client.get("/login")
    token = CSRF_RE.search(page.text).group(1)
    response = await client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    assert response.status_code == 302, response.text[:200]


async def hold_stream(client, url, arrivals: dict, opened: asyncio.Event, counter: dict, stop: asyncio.Event):
    """Hold one stream; record, per event, when its activity message and its update message arrived."""
    pending: dict[int, float] = {}
    async with client.stream("GET", url) as response:
        assert response.status_code == 200
        counter["open"] += 1
        if counter["open"] == counter["want"]:
            opened.set()
        event, event_id = None, None
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("id: "):
                event_id = int(line[4:])
            elif line.startswith("data: ") and event == "activity":
                arrived = time.time()
                data = json.loads(line[6:])
                created = datetime.fromisoformat(data["created_at"]).timestamp()
                arrivals["activity"].append(arrived - created)
                pending[data["id"]] = created
            elif line.startswith("data: ") and event == "update" and pending:
                arrived = time.time()
                arrivals["bytes"].append(len(line))
                for done in [i for i in pending if event_id is not None and i <= event_id]:
                    arrivals["update"].append(arrived - pending.pop(done))
            elif line == "":
                event, event_id = None, None
            if stop.is_set():
                return


async def page_times(client: httpx.AsyncClient, url: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        response = await client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200
    return times


async def pledge(client: httpx.AsyncClient, bid_id: int, amount: int) -> None:
    form = f"/bids/{bid_id}/pledge"
    token = CSRF_RE.search((await client.get(form)).text).group(1)
    data = {
        "csrf_token": token,
        "amount": str(amount),
        "homes": "1000",
        "regions": "NW",
        "statement": "",
        "status": "confirmed",
        "accept_terms": "y",
        "version": "0",
    }
    response = await client.post(form, data=data)
    assert response.status_code == 302, response.text[:300]


async def scenario(base: str, seed: dict, streams: int, pledges: int, page_requests: int, cpu=lambda: 0.0) -> dict:
    bid_id = seed["bid_id"]
    limits = httpx.Limits(max_connections=streams + 50, max_keepalive_connections=streams + 50)
    timeout = httpx.Timeout(30, read=120)
    async with (
        httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as watchers,
        httpx.AsyncClient(base_url=base, timeout=timeout) as pages,
    ):
        await login(watchers, seed["convenor"])
        await login(pages, seed["convenor"])
        members = []
        for email in seed["members"][: pledges + pledges // 2]:
            member = httpx.AsyncClient(base_url=base, timeout=timeout)
            await login(member, email)
            members.append(member)
        dashboard = f"/bids/{bid_id}"
        await page_times(pages, dashboard, 5)  # warm up
        baseline = await page_times(pages, dashboard, page_requests)
        quiet, members = members[: pledges // 2], members[pledges // 2 :]  # these pledge before streams open

        async def pledging(group, offset=0):
            for i, member in group:
                await pledge(member, bid_id, 10_000 + (i + offset) * 1_000)
                await asyncio.sleep(1.0)

        # The server CPU a pledge costs with no stream open, paced as the fan-out pledges below are.
        cpu_before = cpu()
        await pledging(list(enumerate(quiet)), offset=1000)
        await asyncio.sleep(1.0)
        quiet_cpu = cpu() - cpu_before

        arrivals: dict[str, list[float]] = {"activity": [], "update": [], "bytes": []}
        opened, stop = asyncio.Event(), asyncio.Event()
        counter = {"open": 0, "want": streams}
        tasks = [
            asyncio.create_task(hold_stream(watchers, f"/bids/{bid_id}/events", arrivals, opened, counter, stop))
            for _ in range(streams)
        ]
        try:
            await asyncio.wait_for(opened.wait(), timeout=60)
        except TimeoutError:
            # Too few threads: the streams that did open hold them all. Show what an ordinary page gets.
            started = time.perf_counter()
            try:
                await pages.get(dashboard, timeout=10)
                page = f"{(time.perf_counter() - started) * 1000:.0f} ms"
            except httpx.TimeoutException:
                page = "no response within 10 s"
            stop.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            return {"streams": streams, "streams_opened": counter["open"], "dashboard_while_starved": page}
        await asyncio.sleep(2)
        # Server CPU while the streams sit idle: the load-independent measure of what open streams cost.
        cpu_before, idle_started = cpu(), time.monotonic()
        await asyncio.sleep(10)
        idle_cpu = (cpu() - cpu_before) / (time.monotonic() - idle_started)
        idle = await page_times(pages, dashboard, page_requests)

        during: list[float] = []

        # First half of the pledges alone, for the server CPU each costs (the pledge request itself included)…
        half = len(members) // 2
        cpu_before = cpu()
        await pledging(list(enumerate(members))[:half])
        await asyncio.sleep(1.0)
        fanout_cpu = cpu() - cpu_before
        # …then the rest while an ordinary page is requested again and again.
        pledge_task = asyncio.create_task(pledging(list(enumerate(members))[half:]))
        while not pledge_task.done():
            during += await page_times(pages, dashboard, 1)
            await asyncio.sleep(0.2)
        await pledge_task
        expected = streams * len(members)
        deadline = time.monotonic() + 15
        while len(arrivals["update"]) < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for member in quiet + members:
            await member.aclose()
        await asyncio.sleep(2)
        # The machine is shared: measure the baseline again after the streams close, and use both.
        baseline += await page_times(pages, dashboard, page_requests)

    base_median = statistics.median(baseline) * 1000

    def summary(values: list[float]) -> dict:
        ms = [v * 1000 for v in values]
        if not ms:
            return {"count": 0}
        return {
            "count": len(ms),
            "median": round(statistics.median(ms), 1),
            "p99": round(percentile(ms, 99), 1),
            "max": round(max(ms), 1),
        }

    no_streams = 1000 * quiet_cpu / max(len(quiet), 1)
    with_streams = 1000 * fanout_cpu / max(len(members) // 2, 1)
    return {
        "streams": streams,
        "pledges": len(members),
        "expected_deliveries": expected,
        "server_cpu": {
            "idle_streams_cpu_seconds_per_second": round(idle_cpu, 4),
            "no_streams_cpu_ms_per_pledge": round(no_streams, 1),
            "fanout_cpu_ms_per_pledge": round(with_streams, 1),
            "ratio": round(with_streams / no_streams, 2) if no_streams else None,
        },
        "update_message_bytes_median": round(statistics.median(arrivals["bytes"])) if arrivals["bytes"] else None,
        "commit_to_activity_ms": summary(arrivals["activity"]),
        "commit_to_update_ms": summary(arrivals["update"]),
        "dashboard_ms": {
            "no_streams_median": round(base_median, 1),
            "idle_streams_median": round(statistics.median(idle) * 1000, 1),
            "during_fanout_median": round(statistics.median(during) * 1000, 1) if during else None,
            "ratio_idle": round(statistics.median(idle) * 1000 / base_median, 2),
            "ratio_during_fanout": round(statistics.median(during) * 1000 / base_median, 2) if during else None,
        },
    }


def raise_open_files(streams: int) -> int:
    """Each stream is a socket at both ends (client and server, both children of this machine): raise this
    process's soft limit to the hard one (gunicorn inherits it) and say if that is still too few."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 2 * streams + 512
    if soft < want:
        soft = want if hard == resource.RLIM_INFINITY else min(hard, max(want, soft))
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    if soft < want:
        raise SystemExit(f"{streams} streams need about {want} open files; the hard limit is {hard} (ulimit -Hn)")
    return soft


def main(small: bool = False) -> dict:
    """Every case in ``BENCH_STREAMS`` (comma-separated; default 200 then 1,000; 50 with ``small``)."""
    counts = os.environ.get("BENCH_STREAMS", "50" if small else "200,1000")
    cases = [run_case(int(n)) for n in counts.split(",") if n.strip()]
    result = dict(cases[0])
    result["cases"] = cases
    result["rows"] = [line for case in cases for line in case["rows"]]
    return result


def run_case(streams: int) -> dict:
    pledges = int(os.environ.get("BENCH_PLEDGES", "20"))
    page_requests = int(os.environ.get("BENCH_PAGE_REQUESTS", "60"))
    redis = _redis_up()
    workers = int(os.environ.get("WEB_WORKERS", "2" if redis else "1"))
    # A stream holds a thread: enough for every stream on one worker (connections need not spread evenly).
    threads = int(os.environ.get("WEB_THREADS", str(max(256, streams + 64))))
    open_files = raise_open_files(streams)
    with tempfile.TemporaryDirectory(prefix="live-fanout-") as tmp:
        database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        seed = prepare(database_url, max(pledges + pledges // 2, 2))
        port = _free_port()
        env = {
            **os.environ,
            "APP_ENV": "development",
            "SECRET_KEY": "bench-secret",
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": f"{tmp}/instance",
            "SCHEDULER_ENABLED": "0",
            "MAIL_BACKEND": "file",
            "LOGIN_RATE_LIMIT": "10000 per minute",
            "WEB_THREADS": str(threads),
            "ACCESS_LOG": f"{tmp}/access.log",
            "LOG_LEVEL": "WARNING",
        }
        if redis:
            env |= {"REDIS_URL": "redis://127.0.0.1:6379/0", "REDIS_CHANNEL_PREFIX": f"bench-{uuid.uuid4().hex[:8]}"}
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [str(gunicorn), "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}", "--workers", str(workers)]
        command += ["--worker-connections", str(threads + 64)]
        log = open(f"{tmp}/gunicorn.log", "w")  # noqa: SIM115  (closed in finally)
        server = subprocess.Popen(
            [*command, "--no-control-socket", "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        try:
            for _ in range(300):
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.1)
            time.sleep(1.0 * workers)
            load_before = os.getloadavg()[0]
            results = asyncio.run(
                scenario(
                    f"http://127.0.0.1:{port}",
                    seed,
                    streams,
                    pledges,
                    page_requests,
                    cpu=lambda: server_cpu_seconds(server.pid),
                )
            )
            results["load_average"] = [round(load_before, 1), round(os.getloadavg()[0], 1)]
        finally:
            server.terminate()
            server.wait(timeout=20)
            log.close()
    results["setup"] = {
        "workers": workers,
        "threads_per_worker": threads,
        "open_files_limit": open_files,
        "broker": "redis" if redis else "in-process",
        "database": "postgresql" if database_url.startswith("postgres") else "sqlite",
        "cpus": os.cpu_count(),
    }
    results["rows"] = table_rows(results)
    return results


def table_rows(results: dict) -> list[dict]:
    """The lines ``bench.run`` puts in the table: arrival latency and the slowdown of ordinary pages."""
    case = f"{results['streams']} streams, {results['setup']['workers']} workers ({results['setup']['broker']})"
    rows = []
    cpu = results.get("server_cpu") or {}
    if cpu.get("ratio") is not None:
        rows.append(
            row(
                "live_fanout",
                case,
                "server CPU ms per pledge, streams open vs none",
                cpu["fanout_cpu_ms_per_pledge"],
                cpu["no_streams_cpu_ms_per_pledge"],
                cpu["ratio"],
                target="ratio <= 1.5 (at 200 streams)",
                met=cpu["ratio"] <= 1.5 if results["streams"] <= 200 else None,
            )
        )
    for key, label in (
        ("commit_to_activity_ms", "commit to arrival (activity message)"),
        ("commit_to_update_ms", "commit to arrival (update message)"),
    ):
        stats = results.get(key) or {}
        if stats.get("count"):
            rows.append(
                row(
                    "live_fanout",
                    case,
                    f"{label} median / p99 ms ({stats['count']} of {results['expected_deliveries']})",
                    f"{stats['median']} / {stats['p99']}",
                    target="p99 < 200 ms",
                    met=stats["p99"] < 200 and stats["count"] == results["expected_deliveries"],
                )
            )
    pages = results.get("dashboard_ms") or {}
    for ratio, value, label in (
        ("ratio_idle", "idle_streams_median", "streams open"),
        ("ratio_during_fanout", "during_fanout_median", "pledges fanning out"),
    ):
        if pages.get(ratio) is not None:
            rows.append(
                row(
                    "live_fanout",
                    case,
                    f"dashboard median ms with {label} vs none",
                    pages[value],
                    pages["no_streams_median"],
                    pages[ratio],
                    target="ratio <= 1.20",
                    met=pages[ratio] <= 1.2,
                )
            )
    return rows


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
