"""flask backup and flask restore: an online copy that restores with every pledge and passes integrity_check."""

import sqlite3

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Pledge
from tests.conftest import POSTGRES, need
from tests.factories import BidFactory, member_of, pledge_for


@pytest.fixture
def seeded(ctx):
    bid = BidFactory()
    amounts = [pledge_for(member_of(bid), bid, amount_pence=amount).amount_pence for amount in (111, 2_222, 33_333)]
    db.session.commit()
    return sorted(amounts)


def test_sqlite_backup_and_restore_keep_every_pledge(app, runner, seeded, tmp_path):
    if POSTGRES:
        pytest.skip("SQLite backup; the PostgreSQL variant is test_postgres_backup_with_pg_dump")
    backup = tmp_path / "backup.db"
    result = runner.invoke(args=["backup", str(backup)])
    assert result.exit_code == 0, result.output
    assert "integrity check: ok" in result.output
    with sqlite3.connect(backup) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert sorted(r[0] for r in conn.execute("SELECT amount_pence FROM pledges")) == seeded

    # Lose data, then restore.
    db.session.execute(sa.update(Pledge).where(Pledge.amount_pence == 111).values(amount_pence=999_999))
    db.session.commit()
    result = runner.invoke(args=["restore", "--yes", str(backup)])
    assert result.exit_code == 0, result.output
    assert sorted(db.session.scalars(sa.select(Pledge.amount_pence))) == seeded


def test_restore_refuses_a_file_that_is_not_a_database(app, runner, tmp_path):
    if POSTGRES:
        pytest.skip("SQLite restore")
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"this is not sqlite" * 100)
    result = runner.invoke(args=["restore", "--yes", str(bogus)])
    assert result.exit_code != 0
    assert "is not a sound SQLite database: file is not a database" in result.output


@pytest.mark.postgres
def test_postgres_backup_with_pg_dump(app, runner, seeded, tmp_path):
    import shutil

    need(shutil.which("pg_dump") is not None, "pg_dump is not installed")
    backup = tmp_path / "backup.dump"
    result = runner.invoke(args=["backup", str(backup)])
    assert result.exit_code == 0, result.output
    assert backup.stat().st_size > 1000
    listing = (
        __import__("subprocess")
        .run([shutil.which("pg_restore"), "--list", str(backup)], capture_output=True, text=True, check=True)
        .stdout
    )
    assert "TABLE DATA public pledges" in listing
