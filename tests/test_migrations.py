"""Every migration upgrades, downgrades and upgrades again, with data preserved, on SQLite and PostgreSQL."""

import uuid

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db
from config import TestConfig
from tests.conftest import POSTGRES


@pytest.fixture
def fresh_url(tmp_path):
    if not POSTGRES:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    base = sa.make_url(TestConfig.SQLALCHEMY_DATABASE_URI)
    name = f"migrations_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.dispose()


def _counts(tables):
    counts = {t: db.session.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in tables}  # noqa: S608
    db.session.remove()  # end the transaction, so the migration's own connection can take the lock
    return counts


def test_every_revision_round_trips_with_data(fresh_url, tmp_path):
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=fresh_url, UPLOAD_DIR=str(tmp_path / "u"))
    with app.app_context():
        upgrade()
        from app.demo import seed_demo

        seed_demo()
        db.session.commit()
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        revisions = list(reversed(list(script.walk_revisions())))  # oldest first
        assert revisions, "no migrations found"
        tables = sa.inspect(db.engine).get_table_names()
        before = _counts([t for t in tables if t != "alembic_version"])
        assert before["pledges"] == 39 and before["invitations"] == 43

        # Step down and up again one revision at a time, newest first: data in surviving tables is kept.
        for revision in reversed(revisions[1:]):
            downgrade(revision=revision.down_revision if isinstance(revision.down_revision, str) else "-1")
            surviving = [t for t in before if t in sa.inspect(db.engine).get_table_names()]
            db.session.remove()
            upgrade()  # back to the head: tables of later revisions must be there to compare their rows
            db.session.remove()
            # A table the revision itself creates is dropped with its rows on the way down; every other table
            # keeps its data.
            kept = {t: before[t] for t in surviving}
            assert _counts(surviving) == kept, f"data changed across {revision.revision}"

        # All the way down and up again.
        downgrade(revision="base")
        db.session.remove()
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.session.remove()
        assert set(before) <= set(sa.inspect(db.engine).get_table_names())
        db.session.remove()
        db.engine.dispose()
