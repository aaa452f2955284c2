"""Fixtures: one migrated database for the run (SQLite file, or PostgreSQL via TEST_DATABASE_URL),
emptied after every test; the app, its client and CLI runner; a login helper; service checks."""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db, limiter
from config import TestConfig

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
POSTGRES = (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgres")


def need(condition: bool, reason: str) -> None:
    """Skip when a service or tool is missing, except under CI=true, where it is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI but missing: {reason}")
    pytest.skip(reason)


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = TestConfig.SQLALCHEMY_DATABASE_URI
    if url == "sqlite://":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    return url


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    application = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        UPLOAD_DIR=str(instance / "uploads"),
        PACK_DIR=str(instance / "packs"),
        MAIL_FILE_PATH=str(instance / "outbox"),
    )
    with application.app_context():
        if database_url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        from flask_migrate import upgrade

        upgrade()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


TABLES_IN_DELETE_ORDER: list[str] = []


@pytest.fixture(autouse=True)
def _clean(request):
    """Empty every table after each test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    with application.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
            else:
                for name in tables:
                    conn.exec_driver_sql(f"DELETE FROM {name}")  # noqa: S608  (table names from the metadata)
                conn.exec_driver_sql("DELETE FROM sqlite_sequence") if _has_sequence(conn) else None
    limiter.reset()


def _has_sequence(conn) -> bool:
    return conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE name='sqlite_sequence'").scalar() > 0


@pytest.fixture
def ctx(app):
    """An application context for tests that call services directly."""
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def outbox(app):
    """Messages sent through the locmem backend during the test."""
    # The locmem backend appends to the app's mail state (app.extensions["mailman"]), not to the Mail object.
    state = app.extensions["mailman"]
    state.outbox = []
    yield state.outbox
    state.outbox = []


CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Browser:
    """A test client that logs in, reads CSRF tokens from pages and posts forms like a person."""

    def __init__(self, client):
        self.client = client

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def post_form(self, url, data=None, *, page: str | None = None, **kwargs):
        token = csrf_from(self.client.get(page or url).text)
        payload = {"csrf_token": token, **(data or {})}
        return self.client.post(url, data=payload, **kwargs)

    def login(self, email: str, password: str = "correct-horse-battery"):  # noqa: S107
        response = self.post_form("/login", {"email": email, "password": password})
        assert response.status_code == 302, response.text[:500]
        return response


@pytest.fixture
def browser(client):
    return Browser(client)


@pytest.fixture
def make_browser(app):
    def factory():
        return Browser(app.test_client())

    return factory


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "postgres" in item.keywords and not POSTGRES:
            item.add_marker(pytest.mark.skip(reason="needs TEST_DATABASE_URL pointing at PostgreSQL"))


def pytest_report_header(config):
    return f"database: {'PostgreSQL' if POSTGRES else 'SQLite'}; CI={IN_CI}; root={Path.cwd()}"


__all__ = ["need", "port_open", "sa"]
