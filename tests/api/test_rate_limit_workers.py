"""The API's rate limit holds across processes when Redis keeps the counts (REDIS_URL set).

Two gunicorn servers over one database stand for two workers: requests alternate between them, so a
per-process count would let every request through.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import need, port_open

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(url: str, token: str) -> int:
    request = urllib.request.Request(  # noqa: S310  (a local test server)
        url, headers={"Authorization": f"Bearer {token}", "Connection": "close"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.redis
@pytest.mark.slow
def test_two_processes_share_one_allowance_per_token(tmp_path):
    need(port_open("127.0.0.1", 6379), "Redis on 127.0.0.1:6379")
    need(shutil.which("gunicorn", path=str(BIN)) is not None, "gunicorn in the virtualenv")
    env = {
        **os.environ,
        "APP_ENV": "development",
        "INSTANCE_PATH": str(tmp_path),
        "FLASK_APP": "wsgi:app",
        "SCHEDULER_ENABLED": "0",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bids.db'}",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "RATELIMIT_STORAGE_URI": "",
        "API_RATE_LIMIT": "10 per minute",
        "ACCESS_LOG": "/dev/null",
        "WEB_THREADS": "4",
        "MAIL_BACKEND": "console",
    }
    flask = [str(BIN / "flask")]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    create = ["users", "create", "--email", "w@example.org", "--name", "W", "--organisation", "Workers Homes"]
    subprocess.run(
        [*flask, *create, "--role", "member", "--password", "workers-test-password"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    token = subprocess.run(
        [*flask, "users", "token", "w@example.org"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
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
        statuses = [_status(f"http://127.0.0.1:{ports[i % 2]}/api/v1/bids", token) for i in range(14)]
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=20)
    assert statuses[:10] == [200] * 10
    assert statuses[10:] == [429] * 4
