"""The login rate limit holds across processes when Redis keeps the counts (RATELIMIT_STORAGE_URI).

Two gunicorn servers over one database stand for two workers: login attempts alternate between them,
so a count kept in each process would allow twice the attempts.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.conftest import need, port_open
from tests.live import server

TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


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
    need(server.have_gunicorn(), "gunicorn in the virtualenv")
    prefix = f"harden-login-{secrets.token_hex(6)}"
    database_url = f"sqlite:///{tmp_path / 'bids.db'}"
    env = {
        "SECRET_KEY": secrets.token_hex(32),  # one key, so a session and its CSRF token work on both servers
        "REDIS_URL": "",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        "RATELIMIT_KEY_PREFIX": prefix,
        "LOGIN_RATE_LIMIT": "3 per hour",  # an hour: a fixed minute window could restart mid-test
        "MAIL_BACKEND": "console",
    }
    server.flask(database_url, tmp_path, "db", "upgrade", env=env)
    with contextlib.ExitStack() as stack:
        stack.callback(_forget, prefix)
        # Two servers of one worker each: login attempts alternate between the two processes.
        urls = [
            stack.enter_context(server.gunicorn(database_url, tmp_path, workers=1, threads=2, env=env))
            for _ in range(2)
        ]
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        status, page = _open(opener, f"{urls[0]}/login")
        assert status == 200
        token = TOKEN.search(page).group(1)
        statuses = []
        for attempt in range(6):
            form = {"csrf_token": token, "email": "nobody@example.org", "password": f"wrong-guess-{attempt}"}
            status, page = _open(opener, f"{urls[attempt % 2]}/login", form)
            statuses.append(status)
        assert "Too many attempts" in page
    # 422: the form says the details do not match; 429 from the fourth attempt, whichever process gets it.
    assert statuses == [422, 422, 422, 429, 429, 429]


def _forget(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    keys = list(client.scan_iter(match=f"*{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()
