"""``flask files``: check every stored file against its recorded digest, and move them all between backends."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db
from app.infra import storage
from app.infra.units import end_read, unit

files_cli = AppGroup("files", help="Stored files: letters, logos, bid packs.")


@files_cli.command("check")
@click.option("--backend", "name", type=click.Choice(storage.BACKENDS), help="Default: FILE_STORAGE.")
def check(name: str | None) -> None:
    """Verify every recorded file's SHA-256 in the backend; list the missing and damaged ones (exit 1 if any)."""
    store = storage.backend(name)
    entries = list(storage.catalogued())
    end_read()
    problems: list[tuple[str, str]] = []
    with click.progressbar(entries, label=f"Checking {len(entries):,} files ({store.name})") as bar:
        for key, digest in bar:
            found = storage.state(store, key, digest)
            end_read()
            if found != "ok":
                problems.append((key, found))
    for key, found in problems:
        click.echo(f"{found}: {key}")
    click.echo(f"{len(entries) - len(problems):,} of {len(entries):,} files are sound in the {store.name} backend.")
    if problems:
        raise click.ClickException(f"{len(problems):,} files are missing or damaged.")


@files_cli.command("migrate")
@click.option("--to", "target_name", type=click.Choice(storage.BACKENDS), required=True)
def migrate(target_name: str) -> None:
    """Copy every recorded file from the configured backend (FILE_STORAGE) to the other one, checking each digest.

    Each file is committed as it is copied and one already in the target with the right digest is skipped, so an
    interrupted run can simply be started again. The source is left as it is; set FILE_STORAGE to the target
    afterwards and run ``flask files check``.
    """
    source_name = current_app.config.get("FILE_STORAGE", "local")
    if target_name == source_name:
        raise click.ClickException(f"The files are already in the {source_name} backend (FILE_STORAGE).")
    source, target = storage.backend(source_name), storage.backend(target_name)
    entries = list(storage.catalogued())
    end_read()
    copied = skipped = 0
    problems: list[tuple[str, str]] = []
    with click.progressbar(entries, label=f"Copying {len(entries):,} files to the {target_name} backend") as bar:
        for key, digest in bar:
            outcome = _copy(source, target, key, digest)
            if outcome == "copied":
                copied += 1
            elif outcome == "present":
                skipped += 1
            else:
                problems.append((key, outcome))
    for key, found in problems:
        click.echo(f"{found} in the {source_name} backend, not copied: {key}")
    click.echo(f"Copied {copied:,} files; {skipped:,} were already there; {len(problems):,} could not be copied.")
    if problems:
        raise click.ClickException(
            f"{len(problems):,} files are missing or damaged in the {source_name} backend; see above."
        )
    click.echo(f"Now set FILE_STORAGE={target_name} and run: flask files check")


def _copy(source, target, key: str, digest: str) -> str:
    with unit():
        found = _state_in(target, key, digest)
        if found == "ok":
            return "present"
        try:
            content = b"".join(source.chunks(key))
        except storage.FileMissing:
            return "missing"
        if storage.sha256(content) != digest:
            return "damaged"
        if found == "damaged":  # other bytes under the key (altered since): replace them
            target.delete(key)
            db.session.flush()
        target.put(key, content, digest)
    return "copied"


def _state_in(target, key: str, digest: str) -> str:
    """The database backend's header row carries the digest its chunks were checked against when written."""
    if not hasattr(target, "digest_of"):
        return storage.state(target, key, digest)
    recorded = target.digest_of(key)
    return "missing" if recorded is None else "ok" if recorded == digest else "damaged"
