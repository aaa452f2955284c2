"""Shared benchmark helpers: databases, the real gunicorn server, HTTP sessions, percentiles, the machine.

Every scenario serves the project (and its bare baseline) with ``gunicorn -c gunicorn.conf.py`` (the
production worker settings) on a free loopback port, against a database prepared with the project's
own migrations.
"""

from __future__ import annotations

import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
#: The PostgreSQL database the benchmarks own (dropped and re-migrated by every scenario).
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test_bench")
SECRET_KEY = os.environ.get("BENCH_SECRET_KEY") or secrets.token_hex(32)
PASSWORD = "bench-pledge-password-2026"  # noqa: S105  (a throwaway account in a throwaway database)
CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
VERSION_RE = re.compile(r'<input[^>]*name="version"[^>]*value="(\d*)"')


# --------------------------------------------------------------------------------------------- databases
def postgres_available(url: str = POSTGRES_URL) -> bool:
    """Whether the benchmark database is reachable; creates it on a fresh server that lacks it."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            return False  # no server, no permission: the scenario skips PostgreSQL
    name = make_url(url).database
    try:
        admin = make_url(url).set(database="postgres").render_as_string(hide_password=False)
        with psycopg.connect(admin, connect_timeout=3, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        with psycopg.connect(url, connect_timeout=3):
            return True
    except Exception:  # could not create it: the scenario skips PostgreSQL and says so
        return False


def database_targets(workdir: Path, name: str) -> list[tuple[str, str]]:
    """(label, url) for SQLite (a file in ``workdir``) and, when reachable, PostgreSQL."""
    targets = [("SQLite", f"sqlite:///{workdir / (name + '.db')}")]
    if postgres_available():
        targets.append(("PostgreSQL", POSTGRES_URL))
    else:
        print(f"  note: PostgreSQL at {POSTGRES_URL} is not reachable; {name} runs on SQLite only", flush=True)
    return targets


def server_env(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """The environment of a production server in the benchmark.

    Production configuration; mail goes to flask-mailman's ``dummy`` backend (the outbox row is still
    written and marked sent after commit, as in production); the login rate limit is raised because every
    simulated member logs in from the same loopback address during the (untimed) set-up.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "APP_"))}
    env.update(
        APP_ENV="production",
        SECRET_KEY=SECRET_KEY,
        DATABASE_URL=database_url,
        INSTANCE_PATH=str(instance),
        MAIL_BACKEND="dummy",
        LOGIN_RATE_LIMIT="100000 per minute",
        SCHEDULER_ENABLED="0",
        FLASK_APP="wsgi:app",
        LOG_LEVEL="WARNING",
        ACCESS_LOG=os.environ.get("BENCH_ACCESS_LOG", "-"),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def reset_database(url: str) -> None:
    """Empty the database completely (SQLite: delete the file; PostgreSQL: drop the public schema)."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def migrate(url: str, instance: Path) -> None:
    """``flask db upgrade`` in a subprocess, exactly as an operator would run it."""
    subprocess.run(
        [str(BIN / "flask"), "db", "upgrade"],
        cwd=ROOT,
        env=server_env(url, instance),
        check=True,
        capture_output=True,
        text=True,
    )


def fresh_database(url: str, instance: Path) -> None:
    reset_database(url)
    migrate(url, instance)


def gather_statistics(engine) -> None:
    """``VACUUM ANALYZE`` on PostgreSQL after a bulk load: the planner statistics and visibility map that
    autovacuum keeps in production. This machine's PostgreSQL runs with autovacuum off, and without statistics
    the planner guesses: the dashboard's member page, for one, took a plan about ten times slower at 5,000
    members. SQLite keeps no statistics unless asked (the application never runs ANALYZE), so it is left as is."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")


def in_process_app(url: str, instance: Path, **overrides):
    """The project's app object in this process (production settings) for bulk set-up and query counts.

    Email is sent inline after each commit unless ``overrides`` say otherwise (``MAIL_SEND_ASYNC=True``).
    """
    from app import create_app
    from config import ProductionConfig, database_url

    settings = {
        "SECRET_KEY": SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": database_url(url),
        "UPLOAD_DIR": str(instance / "uploads"),
        "PACK_DIR": str(instance / "packs"),
        "MAIL_BACKEND": "dummy",
        "MAIL_SEND_ASYNC": False,
        "SCHEDULER_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        # The in-process test client speaks plain http: a Secure cookie would not come back.
        "SESSION_COOKIE_NAME": "session",
        "SESSION_COOKIE_SECURE": False,
        "LOGIN_RATE_LIMIT": "100000 per minute",
    }
    return create_app(ProductionConfig, **(settings | overrides))


# ------------------------------------------------------------------------------------------------ server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A gunicorn master started with the project's gunicorn.conf.py on a free loopback port."""

    app: str
    env: dict[str, str]
    log_path: Path
    ready_path: str = "/login"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def command(self) -> list[str]:
        return [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{self.port}", self.app]

    def start(self, timeout: float = 60) -> Server:
        self._log = open(self.log_path, "ab")  # noqa: SIM115  (closed in stop())
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=self._log, stderr=self._log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            try:
                if httpx.get(self.url + self.ready_path, timeout=2).status_code < 500:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer on {self.url} within {timeout} s; see {self.log_path}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if getattr(self, "_log", None):
            self._log.close()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@contextmanager
def workdir(name: str):
    """A scratch folder for databases, instance folders and server logs (kept with BENCH_KEEP=1)."""
    path = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    try:
        yield path
    finally:
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(path, ignore_errors=True)
        else:
            print(f"  kept {path}", flush=True)


# ------------------------------------------------------------------------------------------ HTTP session
class WebSession:
    """One person's browser session: the session cookie is kept by hand.

    The production cookie is ``__Host-session`` with ``Secure``; a benchmark on plain-http loopback stands in
    for a TLS-terminating proxy, so the cookie is sent back as a browser behind that proxy would.
    """

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, client: httpx.Client, method: str, url: str, **kwargs) -> httpx.Response:
        headers = kwargs.pop("headers", {}) or {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = client.request(method, url, headers=headers, **kwargs)
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value and "Max-Age=0" not in header and "expires=Thu, 01 Jan 1970" not in header:
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        return response

    def login(self, client: httpx.Client, base: str, email: str, password: str = PASSWORD) -> None:
        page = self.request(client, "GET", base + "/login")
        token = csrf_token(page.text)
        response = self.request(
            client, "POST", base + "/login", data={"csrf_token": token, "email": email, "password": password}
        )
        if response.status_code != 302:
            raise RuntimeError(f"login failed for {email}: HTTP {response.status_code}")


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


# ---------------------------------------------------------------------------------------------- numbers
def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100) by linear interpolation between closest ranks; nan when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_ms(seconds: list[float]) -> dict[str, float]:
    """Median, p95, p99 and max of a list of durations in seconds, in milliseconds."""
    return {
        "n": len(seconds),
        "median_ms": round(percentile(seconds, 50) * 1000, 2),
        "p95_ms": round(percentile(seconds, 95) * 1000, 2),
        "p99_ms": round(percentile(seconds, 99) * 1000, 2),
        "max_ms": round(max(seconds) * 1000, 2) if seconds else math.nan,
    }


def row(scenario, case, measure, project, baseline=None, ratio=None, target="", met=None) -> dict:
    """One line of the results table (the format every scenario's ``main()`` returns under ``rows``)."""
    return {
        "scenario": scenario,
        "case": case,
        "measure": measure,
        "project": project,
        "baseline": baseline,
        "ratio": ratio,
        "target": target,
        "met": met,
    }


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a process and its live children, from /proc (Linux).

    On a shared machine CPU per request drifts far less than wall-clock throughput.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


# ---------------------------------------------------------------------------------------------- machine
def machine() -> dict[str, str]:
    """What the figures were measured on."""
    info = {
        "cpus": str(os.cpu_count()),
        "cpu_model": _cpu_model(),
        "memory": _memory(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgres_setting("server_version"),
        "postgresql_autovacuum": _postgres_setting("autovacuum", "(benchmarks run VACUUM ANALYZE after loading)"),
        "load_average_1_5_15_min": load_average(),
    }
    try:
        import gunicorn

        info["gunicorn"] = gunicorn.__version__
    except ImportError:
        pass
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _postgres_setting(name: str, note: str = "") -> str:
    """A setting of the benchmarks' PostgreSQL (``SHOW name``), with ``note`` after it."""
    if not postgres_available():
        return "not reachable"
    import psycopg

    with psycopg.connect(POSTGRES_URL) as conn:
        return " ".join(filter(None, [str(conn.execute(f"SHOW {name}").fetchone()[0]), note]))
