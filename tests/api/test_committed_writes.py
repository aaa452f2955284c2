"""A write that committed is never answered as failed: the rate limiter's storage erroring (a Redis pool
exhausted) fails open, a failing after-request or teardown step after the commit leaves the response as it
was, and an error after the commit says the change was saved."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid

import pytest
import sqlalchemy as sa
from redis.exceptions import MaxConnectionsError

from app import create_app
from app.extensions import db, limiter
from app.models import Pledge
from app.web import committed
from config import TestConfig
from tests.api.test_pledges import GOOD, pledge_path
from tests.conftest import need, port_open

NOT_SAVED = "was not saved"


def _exhausted(*_args, **_kwargs):
    raise MaxConnectionsError("Too many connections")


@pytest.fixture
def logs(caplog, monkeypatch):
    """caplog for these loggers (Alembic's logging set-up in the app fixture disables loggers made before it)."""
    for name in ("flask-limiter", "app.web.committed"):
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)
    caplog.set_level(logging.WARNING)
    return caplog


@pytest.fixture
def limiter_state():
    """Put the shared limiter back as it was (tests here break its storage or build apps that re-bind it)."""
    saved = dict(limiter.__dict__)
    yield limiter
    limiter.__dict__.clear()
    limiter.__dict__.update(saved)


def _pledges() -> int:
    with db.engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.count()).select_from(Pledge))


def test_a_limiter_storage_that_errors_fails_open_and_the_write_commits(
    app, api, world, limiter_state, logs, monkeypatch
):
    for name in ("incr", "get", "get_expiry", "check"):
        monkeypatch.setattr(limiter.storage, name, _exhausted)
    response = api.put(pledge_path(world), world.waiting, json=GOOD)
    assert response.status_code == 201, response.text
    with app.app_context():
        assert _pledges() == 2
    assert "falling back to in-memory storage" in logs.text


def test_an_after_request_failure_after_the_commit_keeps_the_response(
    app, api, world, limiter_state, logs, monkeypatch
):
    # The limiter as it was configured before: no fallback, errors raised. Its after-request step (the
    # X-RateLimit headers) reads the storage after the view has committed.
    limiter._swallow_errors, limiter._in_memory_fallback_enabled = False, False
    monkeypatch.setattr(limiter.storage, "get_expiry", _exhausted)
    response = api.put(pledge_path(world), world.waiting, json=GOOD)
    assert response.status_code == 201, response.text
    assert response.json["amount_pence"] == GOOD["amount_pence"]
    assert "ETag" in response.headers
    with app.app_context():
        assert _pledges() == 2
    assert "after the change was committed" in logs.text

    # A request that committed nothing is not covered: the same failure is still an error (raised here,
    # as the test configuration propagates exceptions; a 500 page in production).
    with pytest.raises(MaxConnectionsError):
        api.get(pledge_path(world), world.member)


def test_every_after_request_and_teardown_step_is_guarded(app):
    steps = [f for funcs in app.after_request_funcs.values() for f in funcs]
    steps += [f for funcs in app.teardown_request_funcs.values() for f in funcs] + app.teardown_appcontext_funcs
    assert steps and all(getattr(f, committed._GUARDED, False) for f in steps)


def test_a_failing_teardown_after_the_commit_does_not_turn_into_an_error(app, api, world, monkeypatch):
    def broken(_exc):
        raise RuntimeError("connection dropped while closing")

    funcs = [*app.teardown_request_funcs.get(None, []), committed._guard_teardown(app, broken)]
    monkeypatch.setitem(app.teardown_request_funcs, None, funcs)
    response = api.put(pledge_path(world), world.waiting, json=GOOD)
    assert response.status_code == 201, response.text
    with app.app_context():
        assert _pledges() == 2


def test_an_error_after_the_commit_says_the_change_was_saved(app, api, world, monkeypatch):
    import app.api.pledges as pledge_routes

    def broken(*_args, **_kwargs):
        raise RuntimeError("the response could not be built")

    monkeypatch.setattr(pledge_routes, "ok", broken)
    response = api.put(pledge_path(world), world.waiting, json=GOOD)
    assert response.status_code == 500
    assert "The change was saved" in response.json["detail"]
    assert NOT_SAVED not in response.text
    with app.app_context():
        assert _pledges() == 2


def test_an_error_before_any_commit_still_says_not_saved(app, browser, monkeypatch):
    import app.auth.routes as auth_routes

    def broken(*_args, **_kwargs):
        raise RuntimeError("failed before saving")

    monkeypatch.setattr(auth_routes.users, "check_login", broken)
    response = browser.post_form("/login", {"email": "a@example.org", "password": "whatever-it-is"})
    assert response.status_code == 500
    assert "Your last change was not saved" in response.text


@pytest.mark.redis
def test_the_limiter_fails_open_through_a_real_exhausted_redis_pool(database_url, tmp_path, limiter_state, world):
    need(port_open("127.0.0.1", 6379), "Redis at 127.0.0.1:6379")
    redis_app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        UPLOAD_DIR=str(tmp_path / "uploads"),
        PACK_DIR=str(tmp_path / "packs"),
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0",
        RATELIMIT_KEY_PREFIX=f"pool-test-{uuid.uuid4().hex[:8]}",
        REDIS_MAX_CONNECTIONS=2,
        REDIS_POOL_TIMEOUT=0.1,
    )
    pool = limiter.storage.storage.connection_pool
    held = [pool.get_connection() for _ in range(pool.max_connections)]  # every connection busy
    try:
        client = redis_app.test_client()
        response = client.put(
            "/api/v1" + pledge_path(world), json=GOOD, headers={"Authorization": f"Bearer {world.waiting}"}
        )
        assert response.status_code == 201, response.text
        assert pool.max_connections == 2
    finally:
        for connection in held:
            pool.release(connection)
        pool.disconnect()
        with redis_app.app_context():
            assert _pledges() == 2
            db.session.remove()
            db.engine.dispose()


def test_redis_pools_are_sized_to_the_worker_threads():
    code = "from config import Config; print(Config.REDIS_MAX_CONNECTIONS)"
    env = {**os.environ, "WEB_THREADS": "32"}
    env.pop("REDIS_MAX_CONNECTIONS", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "40"


def test_the_live_broker_uses_a_sized_pool(app):
    from app.realtime import make_broker

    sized = create_app(TestConfig, REDIS_URL="redis://127.0.0.1:1/0", REDIS_MAX_CONNECTIONS=12)
    try:
        broker = make_broker(sized)
        assert broker._client.connection_pool.max_connections == 12
    finally:
        sized.extensions["broker"].close()
