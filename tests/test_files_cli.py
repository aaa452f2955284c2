"""``flask files check`` and ``flask files migrate``: every recorded file (letters, logos, bid packs) checked
against its digest, copied between the backends, resumable after a run that stopped half way."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.infra import storage
from app.infra.storage_database import DatabaseBackend
from app.models import stored_file_chunks, stored_files
from app.services import body, letters, packs
from tests.images import png
from tests.packdata import populated_bid
from tests.pdfs import clean_storage

pytestmark = pytest.mark.usefixtures(clean_storage.__name__)


@pytest.fixture
def recorded(ctx):
    """Two letters, a logo and one pack version (four documents) in the local backend: seven files."""
    bid, _users = populated_bid(members=3, letters_for=2)
    body.update_identity(bid.created_by, bid.organisation_id, display_name="Alliance", logo=png())
    db.session.commit()
    packs.generate_pack(bid.created_by, bid)
    db.session.commit()
    entries = list(storage.catalogued())
    db.session.rollback()
    assert len(entries) == 7
    return entries


def invoke(app, monkeypatch, backend: str, *args):
    monkeypatch.setitem(app.config, "FILE_STORAGE", backend)
    return app.test_cli_runner().invoke(args=["files", *args])


def test_check_finds_every_file_sound(app, recorded, monkeypatch):
    result = invoke(app, monkeypatch, "local", "check")
    assert result.exit_code == 0, result.output
    assert "7 of 7 files are sound in the local backend." in result.output


def test_check_lists_missing_and_damaged_files(app, recorded, monkeypatch):
    (missing_key, _), (damaged_key, _) = recorded[0], recorded[1]
    local = storage.backend("local")
    local.path(missing_key).unlink()
    local.path(damaged_key).write_bytes(b"altered")
    result = invoke(app, monkeypatch, "local", "check")
    assert result.exit_code == 1
    assert f"missing: {missing_key}" in result.output and f"damaged: {damaged_key}" in result.output
    assert "5 of 7 files are sound" in result.output and "2 files are missing or damaged." in result.output


def test_migrate_to_the_database_and_back_keeps_every_byte(app, recorded, monkeypatch):
    originals = {key: b"".join(storage.backend("local").chunks(key)) for key, _ in recorded}
    result = invoke(app, monkeypatch, "local", "migrate", "--to", "database")
    assert result.exit_code == 0, result.output
    assert "Copied 7 files; 0 were already there; 0 could not be copied." in result.output
    assert "Now set FILE_STORAGE=database" in result.output
    assert invoke(app, monkeypatch, "database", "check").exit_code == 0
    with app.app_context():
        assert {key: b"".join(DatabaseBackend().chunks(key)) for key, _ in recorded} == originals
    # Served from the database once switched: the services read through the configured backend.
    monkeypatch.setitem(app.config, "FILE_STORAGE", "database")
    storage.backend("local").path(recorded[0][0]).unlink()
    digest = recorded[0][1] if recorded[0][0].startswith("letters/") else None
    if digest:
        assert letters.read_content(digest) == originals[recorded[0][0]]
    # And back to a fresh local folder.
    clean = invoke(app, monkeypatch, "database", "migrate", "--to", "local")
    assert "Copied 1 files; 6 were already there" in clean.output, clean.output
    assert invoke(app, monkeypatch, "local", "check").exit_code == 0


def test_an_interrupted_migration_resumes_where_it_stopped(app, recorded, monkeypatch):
    calls = {"n": 0}
    real = DatabaseBackend.put

    def fails_on_the_fourth(self, key, content, digest):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt  # the operator's Ctrl-C, or the host going down
        return real(self, key, content, digest)

    monkeypatch.setattr(DatabaseBackend, "put", fails_on_the_fourth)
    stopped = invoke(app, monkeypatch, "local", "migrate", "--to", "database")
    assert stopped.exit_code != 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(stored_files)) == 3
    resumed = invoke(app, monkeypatch, "local", "migrate", "--to", "database")
    assert "Copied 4 files; 3 were already there" in resumed.output, resumed.output


def test_migrate_refuses_a_damaged_source_and_copies_the_rest(app, recorded, monkeypatch):
    key = recorded[2][0]
    storage.backend("local").path(key).write_bytes(b"altered")
    result = invoke(app, monkeypatch, "local", "migrate", "--to", "database")
    assert result.exit_code == 1
    assert f"damaged in the local backend, not copied: {key}" in result.output
    assert "Copied 6 files" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(stored_files)) == 6
        assert db.session.scalar(sa.select(sa.func.count()).select_from(stored_file_chunks)) >= 6


def test_migrate_to_the_backend_in_use_is_refused(app, recorded, monkeypatch):
    result = invoke(app, monkeypatch, "local", "migrate", "--to", "local")
    assert result.exit_code == 1 and "already in the local backend" in result.output
