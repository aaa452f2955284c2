"""flask backup and flask restore: an online copy that restores with every pledge and passes integrity_check."""

import shutil
import sqlite3
import subprocess

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.models import Pledge, stored_files
from app.services import letters
from config import TestConfig
from tests.conftest import POSTGRES, need
from tests.factories import BidFactory, member_of, pledge_for
from tests.pdfs import make_pdf

AMOUNTS = (111, 2_222, 33_333)


def _seed() -> list[int]:
    bid = BidFactory()
    for amount in AMOUNTS:
        pledge_for(member_of(bid), bid, amount_pence=amount)
    db.session.commit()
    return sorted(AMOUNTS)


@pytest.fixture
def own_app(tmp_path):
    """An app with a database file of its own: restoring replaces that file under the app's feet."""
    app = create_app(
        TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'live.db'}", UPLOAD_DIR=str(tmp_path / "uploads")
    )
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.mark.skipif(POSTGRES, reason="SQLite backup; the PostgreSQL variant is test_postgres_backup_with_pg_dump")
def test_sqlite_backup_and_restore_keep_every_pledge(own_app, tmp_path):
    seeded = _seed()
    runner = own_app.test_cli_runner()
    backup = tmp_path / "backup.db"
    result = runner.invoke(args=["backup", str(backup)])
    assert result.exit_code == 0, result.output
    assert "integrity check: ok" in result.output
    with sqlite3.connect(backup) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert sorted(r[0] for r in conn.execute("SELECT amount_pence FROM pledges")) == seeded

    # Damage the data, then restore.
    db.session.execute(sa.update(Pledge).where(Pledge.amount_pence == 111).values(amount_pence=999_999))
    db.session.commit()
    result = runner.invoke(args=["restore", "--yes", str(backup)])
    assert result.exit_code == 0, result.output
    assert sorted(db.session.scalars(sa.select(Pledge.amount_pence))) == seeded


@pytest.mark.skipif(POSTGRES, reason="SQLite backup; PostgreSQL's pg_dump copies the same tables")
def test_a_backup_holds_the_files_when_they_are_in_the_database(own_app, tmp_path, monkeypatch):
    monkeypatch.setitem(own_app.config, "FILE_STORAGE", "database")
    bid = BidFactory()
    member = member_of(bid)
    pledge_for(member, bid)
    content = make_pdf("Kept in the backup")
    letter = letters.upload_letter(member, bid, content, "letter.pdf")
    db.session.commit()
    digest = letter.sha256
    runner = own_app.test_cli_runner()
    backup = tmp_path / "backup.db"
    result = runner.invoke(args=["backup", str(backup)])
    assert result.exit_code == 0, result.output
    assert "are in the database (FILE_STORAGE=database): included" in result.output
    # The file is lost from the live database, then restored with everything else.
    db.session.execute(sa.delete(stored_files))
    db.session.commit()
    assert runner.invoke(args=["restore", "--yes", str(backup)]).exit_code == 0
    assert letters.read_content(digest) == content


@pytest.mark.skipif(POSTGRES, reason="SQLite backup")
def test_a_backup_with_local_files_says_what_else_to_copy(own_app, tmp_path):
    result = own_app.test_cli_runner().invoke(args=["backup", str(tmp_path / "backup.db")])
    assert result.exit_code == 0
    assert f"NOT in this backup (FILE_STORAGE=local): copy {tmp_path / 'uploads'} and" in result.output


@pytest.mark.skipif(POSTGRES, reason="SQLite restore")
def test_restore_refuses_a_file_that_is_not_a_database(own_app, tmp_path):
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"this is not sqlite" * 100)
    result = own_app.test_cli_runner().invoke(args=["restore", "--yes", str(bogus)])
    assert result.exit_code != 0
    assert "is not a sound SQLite database: file is not a database" in result.output


@pytest.mark.postgres
def test_postgres_backup_with_pg_dump(ctx, runner, tmp_path):
    need(shutil.which("pg_dump") is not None, "pg_dump is not installed")
    _seed()
    backup = tmp_path / "backup.dump"
    result = runner.invoke(args=["backup", str(backup)])
    assert result.exit_code == 0, result.output
    assert backup.stat().st_size > 1000
    listing = subprocess.run(
        [shutil.which("pg_restore"), "--list", str(backup)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "TABLE DATA public pledges" in listing
