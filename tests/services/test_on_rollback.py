"""Work outside the database (a file written) is undone when its transaction does not commit."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.infra import files


def _write(tmp_path, name: str):
    db.session.execute(sa.text("SELECT 1"))  # inside a transaction, as the services are
    path = tmp_path / name
    assert files.write_atomic(path, b"content")
    return path


def test_kept_when_committed(ctx, tmp_path):
    path = _write(tmp_path, "kept")
    db.session.commit()
    db.session.remove()
    assert path.read_bytes() == b"content"


def test_removed_on_rollback(ctx, tmp_path):
    path = _write(tmp_path, "rolled-back")
    db.session.rollback()
    assert not path.exists()


def test_removed_when_the_session_closes_without_committing(ctx, tmp_path):
    path = _write(tmp_path, "abandoned")
    db.session.remove()
    assert not path.exists()


def test_an_existing_file_is_left_alone(ctx, tmp_path):
    path = tmp_path / "existing"
    path.write_bytes(b"earlier")
    db.session.execute(sa.text("SELECT 1"))
    assert files.write_atomic(path, b"content") is False
    db.session.rollback()
    assert path.read_bytes() == b"earlier"


def test_a_published_folder_is_removed_on_rollback(ctx, tmp_path):
    db.session.execute(sa.text("SELECT 1"))
    target = tmp_path / "pack" / "1"
    files.publish_directory({"a.pdf": b"a", "b.csv": b"b"}, target)
    assert sorted(p.name for p in target.iterdir()) == ["a.pdf", "b.csv"]
    assert [p.name for p in target.parent.iterdir()] == ["1"]  # no staging folder left behind
    db.session.rollback()
    assert not target.exists()
