"""The API's rate limit holds across processes when Redis keeps the counts (REDIS_URL set).

Two gunicorn servers over one database stand for two workers: requests alternate between them, so a
per-process count would let every request through.
"""

from __future__ import annotations

import contextlib
import urllib.error
import urllib.request

import pytest

from tests.conftest import need, port_open
from tests.live import server


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
    need(server.have_gunicorn(), "gunicorn in the virtualenv")
    database_url = f"sqlite:///{tmp_path / 'bids.db'}"
    # An hour's window: Flask-Limiter's fixed windows restart on the clock's boundaries, and a minute's
    # window could restart part-way through the fourteen requests.
    env = {
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "RATELIMIT_STORAGE_URI": "",
        "API_RATE_LIMIT": "10 per hour",
        "MAIL_BACKEND": "console",
    }
    server.flask(database_url, tmp_path, "db", "upgrade", env=env)
    create = ["users", "create", "--email", "w@example.org", "--name", "W", "--organisation", "Workers Homes"]
    server.flask(database_url, tmp_path, *create, "--role", "member", "--password", "workers-test-password", env=env)
    token = server.flask(database_url, tmp_path, "users", "token", "w@example.org", env=env).strip()
    with contextlib.ExitStack() as stack:
        # Two servers of one worker each: requests alternate between the two processes.
        urls = [
            stack.enter_context(server.gunicorn(database_url, tmp_path, workers=1, threads=4, env=env))
            for _ in range(2)
        ]
        statuses = [_status(f"{urls[i % 2]}/api/v1/bids", token) for i in range(14)]
    assert statuses[:10] == [200] * 10
    assert statuses[10:] == [429] * 4
