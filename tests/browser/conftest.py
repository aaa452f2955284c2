"""The real app under gunicorn against a fresh, migrated SQLite file, and Debian's chromium driven by Playwright.

One server and one browser for the whole session; a fresh browser context (cookies, tabs) for every test, at a
desktop (1280×900) and a phone (390×844) viewport. Screenshots of every step go under
ci-artifacts/screenshots/<journey>/<viewport>/, axe summaries under ci-artifacts/axe/, the server's log to
ci-artifacts/browser-server.log.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser.seed import CONVENOR_EMAIL, CONVENOR_PASSWORD, Seeder
from tests.browser.support import ARTIFACTS, VIEWPORTS, Journey
from tests.conftest import need

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    outbox: Path
    database_url: str
    instance: Path
    secret_key: str


def _flask(env: dict, *args: str) -> None:
    result = subprocess.run(
        [str(BIN / "flask"), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> LiveServer:
    """gunicorn (gthread, one worker) serving the app from a fresh SQLite file migrated with `flask db upgrade`."""
    need((BIN / "gunicorn").exists(), "gunicorn is not installed in the virtualenv")
    need(os.path.exists(CHROMIUM), f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    base = tmp_path_factory.mktemp("browser")
    instance, outbox = base / "instance", base / "outbox"
    instance.mkdir()
    outbox.mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = f"sqlite:///{base / 'browser.db'}"
    secret_key = secrets.token_hex(32)
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "TEST_DATABASE_URL"}}
    env.update(
        APP_ENV="development",
        FLASK_APP="wsgi:app",
        SECRET_KEY=secret_key,
        INSTANCE_PATH=str(instance),
        DATABASE_URL=database_url,
        MAIL_BACKEND="file",
        MAIL_FILE_PATH=str(outbox),
        SCHEDULER_ENABLED="0",
        BASE_URL=url,
        # Every journey logs in from 127.0.0.1; the real limit is checked on its own in test_error_pages.
        LOGIN_RATE_LIMIT="1000 per minute",
        BIND=f"127.0.0.1:{port}",
        WEB_WORKERS="1",
        WEB_THREADS="16",
        ACCESS_LOG="-",
    )
    _flask(env, "db", "upgrade")
    _flask(
        env,
        "users",
        "create",
        "--email",
        CONVENOR_EMAIL,
        "--name",
        "Sam Convenor",
        "--organisation",
        "Browser Housing Alliance",
        "--role",
        "convenor",
        "--password",
        CONVENOR_PASSWORD,
    )
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / "browser-server.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--workers", "1", "wsgi:app"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_serving(url, server)
        yield LiveServer(url, outbox, database_url, instance, secret_key)
    finally:
        # SIGINT is gunicorn's quick shutdown: SIGTERM would wait the graceful 10 s for the live streams.
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _wait_until_serving(url: str, server: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}; see ci-artifacts/browser-server.log")
        try:
            with urllib.request.urlopen(f"{url}/login", timeout=2) as response:  # noqa: S310  (loopback URL)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on {url} within {timeout}s")


@pytest.fixture(scope="session")
def seed(live_server) -> Seeder:
    return Seeder(live_server)


@pytest.fixture(scope="session")
def chromium(live_server):
    """One browser for the session (contexts are cheap; browsers are not)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request) -> str:
    return request.param


@pytest.fixture
def context(chromium, live_server, viewport):
    phone = viewport == "phone"
    ctx = chromium.new_context(
        base_url=live_server.url,
        viewport=VIEWPORTS[viewport],
        is_mobile=phone,
        has_touch=phone,
        locale="en-GB",
        timezone_id="Europe/London",
    )
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def journey(request, page, viewport):
    """A recorder named after the test module (``test_member.py`` → ``member``)."""
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    recorder = Journey(page, name, viewport)
    yield recorder
    recorder.save_report()


def log_in(page, address: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(address)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
