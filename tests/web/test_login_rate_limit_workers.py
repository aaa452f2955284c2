"""The login rate limit holds across processes when Redis keeps the counts (RATELIMIT_STORAGE_URI).

Two gunicorn servers over one database stand for two workers: login attempts alternate between them,
so a count kept in each process would allow twice the attempts.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import need, port_open

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _open(opener, url: str, data: dict | None = None) -> tuple[int, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with opener.open(urllib.request.Request(url, data=body), timeout=10) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.redis
@pytest.mark.slow
def test_two_processes_share_one_login_allowance(tmp_path):
    need(port_open("127.0.0.1", 6379), "Redis on 127.0.0.1:6379")
    need(shutil.which("gunicorn", path=str(BIN)) is not None, "gunicorn in the virtualenv")
    prefix = f"harden-login-{secrets.token_hex(6)}"
    env = {
        **os.environ,
        "APP_ENV": "development",
        "INSTANCE_PATH": str(tmp_path),
        "FLASK_APP": "wsgi:app",
        "SCHEDULER_ENABLED": "0",
        "SECRET_KEY": secrets.token_hex(32),  # one key, so a session and its CSRF token work on both servers
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bids.db'}",
        "REDIS_URL": "",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        "RATELIMIT_KEY_PREFIX": prefix,
        "LOGIN_RATE_LIMIT": "3 per minute",
        "ACCESS_LOG": "/dev/null",
        "WEB_THREADS": "2",
        "MAIL_BACKEND": "console",
    }
    subprocess.run([str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    ports = [_free_port(), _free_port()]
    servers = [
        subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}", "-w", "1", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        deadline = time.monotonic() + 30
        while not all(port_open("127.0.0.1", port) for port in ports):
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        status, page = _open(opener, f"http://127.0.0.1:{ports[0]}/login")
        assert status == 200
        token = TOKEN.search(page).group(1)
        statuses = []
        for attempt in range(6):
            form = {"csrf_token": token, "email": "nobody@example.org", "password": f"wrong-guess-{attempt}"}
            status, page = _open(opener, f"http://127.0.0.1:{ports[attempt % 2]}/login", form)
            statuses.append(status)
        assert "Too many attempts" in page
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=20)
        _forget(prefix)
    # 422: the form says the details do not match; 429 from the fourth attempt, whichever process gets it.
    assert statuses == [422, 422, 422, 429, 429, 429]


def _forget(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    keys = list(client.scan_iter(match=f"*{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()
