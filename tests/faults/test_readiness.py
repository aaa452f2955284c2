"""/readyz follows the services: 503 naming the database while PostgreSQL refuses the app's connections, and
naming Redis while it is down; 200 again, without a restart, once each is back."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
import uuid

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from config import TestConfig
from tests.conftest import need, port_open
from tests.live.server import free_port

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def own_database():
    """A database of its own: connections to it are refused during the test, so nothing else may use it."""
    base = sa.make_url(TestConfig.SQLALCHEMY_DATABASE_URI)
    name = f"readiness_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield admin, name, base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.dispose()


@contextlib.contextmanager
def redis_server(port: int):
    """A redis-server of the test's own on ``port`` (never the shared one on 6379), stopped at the end."""
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not port_open("127.0.0.1", port):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for(client, status: int, seconds: float = 10):
    deadline = time.monotonic() + seconds
    while True:
        response = client.get("/readyz")
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def test_readiness_follows_postgresql_and_redis(own_database, tmp_path):
    need(shutil.which("redis-server") is not None, "redis-server installed (a Redis of the test's own)")
    admin, name, url = own_database
    port = free_port()
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=url + "?connect_timeout=2",
        REDIS_URL=f"redis://127.0.0.1:{port}/0",
        UPLOAD_DIR=str(tmp_path / "uploads"),
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.session.remove()
    client = app.test_client()
    try:
        with redis_server(port):
            ready = _wait_for(client, 200)
            assert ready.json == {"status": "ok", "checks": {"database": "ok", "migrations": "ok", "redis": "ok"}}

            # PostgreSQL refuses new connections to the database and ends the open ones (what a failover does).
            with admin.connect() as conn:
                conn.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                conn.execute(
                    sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                    {"name": name},
                )
            refused = _wait_for(client, 503)
            assert refused.status_code == 503
            assert refused.json["failing"] == ["database", "migrations"]
            assert refused.json["checks"] == {"database": "failing", "migrations": "unknown", "redis": "ok"}
            assert name not in refused.text and "postgres" not in refused.text.lower()
            with admin.connect() as conn:
                conn.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            assert _wait_for(client, 200).status_code == 200

        # The test's own Redis is stopped.
        down = _wait_for(client, 503)
        assert down.status_code == 503 and down.json["failing"] == ["redis"]
        assert str(port) not in down.text

        with redis_server(port):
            assert _wait_for(client, 200).json["checks"]["redis"] == "ok"
    finally:
        app.extensions["readiness_redis"].close()
        app.extensions["broker"].close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
