"""Online, consistent backups: SQLite's backup API, or pg_dump for PostgreSQL; and restoring a SQLite backup."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from app.extensions import db


def _sqlite_path() -> Path | None:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or not url.database:
        return None
    return Path(url.database)


def backup_sqlite(source: Path, target: Path) -> None:
    """Copy a live SQLite database page by page, consistent even while others write to it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".partial")
    with sqlite3.connect(source) as src, sqlite3.connect(partial) as dst:
        src.backup(dst, pages=256)
    check = integrity(partial)
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"the backup failed its integrity check: {check}")
    partial.replace(target)


def integrity(path: Path) -> str:
    """``"ok"`` for a sound SQLite database, otherwise what is wrong with it."""
    try:
        with sqlite3.connect(path) as conn:
            return conn.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        return str(exc)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write an online, consistent backup of the database to PATH."""
    source = _sqlite_path()
    if source is not None:
        backup_sqlite(source, path)
        click.echo(f"Backed up {source} to {path} (integrity check: ok).")
        click.echo(_files_note())
        return
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise click.ClickException("pg_dump is not installed; install the PostgreSQL client tools.")
    # pg_dump takes a consistent snapshot of a live database; the custom format restores with pg_restore.
    command = [pg_dump, "--format=custom", "--no-owner", f"--file={path}", url.render_as_string(hide_password=False)]
    subprocess.run(command, check=True)  # noqa: S603  (fixed program, our own arguments)
    click.echo(
        f"Backed up the PostgreSQL database to {path} (restore with: pg_restore --clean --no-owner -d URL {path})."
    )
    click.echo(_files_note())


def _files_note() -> str:
    """Where the stored files (letters, logos, bid packs) are, and so whether the backup holds them."""
    if current_app.config.get("FILE_STORAGE") == "database":
        return "The stored files (letters, logos, bid packs) are in the database (FILE_STORAGE=database): included."
    return (
        "The stored files are NOT in this backup (FILE_STORAGE=local): copy "
        f"{current_app.config['UPLOAD_DIR']} and {current_app.config['PACK_DIR']} as well (docs/operations.md)."
    )


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace the SQLite database with the backup at PATH (stop the app first). PostgreSQL: use pg_restore."""
    target = _sqlite_path()
    if target is None:
        raise click.ClickException(f'For PostgreSQL run: pg_restore --clean --no-owner -d "$DATABASE_URL" {path}')
    check = integrity(path)
    if check != "ok":
        raise click.ClickException(f"{path} is not a sound SQLite database: {check}")
    if not yes:
        click.confirm(f"Replace {target} with {path}?", abort=True)
    db.session.remove()
    db.engine.dispose()
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    backup_sqlite(path, target)
    click.echo(f"Restored {path} into {target}.")
