"""The database going away: a clear temporary error page, and recovery without a restart."""

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from config import TestConfig
from tests.factories import ConvenorFactory


def test_unreachable_database_gives_a_clear_temporary_error(tmp_path):
    url = (
        "postgresql+psycopg://postgres@127.0.0.1:1/unreachable?connect_timeout=2"
        if TestConfig.SQLALCHEMY_DATABASE_URI.startswith("postgresql")
        else f"sqlite:///{tmp_path / 'missing-folder' / 'db.sqlite'}"
    )
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, WTF_CSRF_ENABLED=False)
    response = app.test_client().post("/login", data={"email": "a@example.org", "password": "whatever-it-is"})
    assert response.status_code == 503
    assert "The service is briefly unavailable" in response.text
    assert "Nothing you saved has been lost" in response.text
    assert "Traceback" not in response.text
    with app.app_context():
        db.engine.dispose()


@pytest.mark.postgres
def test_recovers_by_itself_after_the_server_drops_every_connection(app, browser):
    with app.app_context():
        ConvenorFactory(email="c@example.org")
        db.session.commit()
    browser.login("c@example.org")
    assert browser.get("/").status_code == 200
    # What a PostgreSQL restart does to the app's pooled connections: the server ends them all.
    admin = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        ended = conn.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    admin.dispose()
    assert ended >= 1
    assert browser.get("/").status_code == 200  # pool_pre_ping replaces the dead connection
