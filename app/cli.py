"""Flask commands: users, demo data, the scheduler."""

from __future__ import annotations

import functools
from collections.abc import Callable

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from app import notifications
from app.backup import backup_command, restore_command
from app.demo import seed_demo
from app.demo_delivery import seed_delivery
from app.extensions import db
from app.files_cli import files_cli
from app.jobs import run_blocking, sweep
from app.models import Organisation, OrganisationKind, Role, User
from app.services import api_tokens, erasure, password_resets, users
from app.services.errors import DomainError, ValidationFailed

users_cli = AppGroup("users", help="Manage user accounts.")
demo_cli = AppGroup("demo", help="Demo data.")
scheduler_cli = AppGroup("scheduler", help="The scheduler that closes bids and sends reminders.")


def in_transaction(command: Callable) -> Callable:
    """The command runner: a command's body is one transaction, committed when it returns and rolled back
    when it raises. A service's refusal becomes the command's error message (exit status 1), nothing saved.
    """

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            result = command(*args, **kwargs)
        except ValidationFailed as exc:
            db.session.rollback()
            raise click.ClickException("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())) from None
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from None
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
        return result

    return run


@users_cli.command("create")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.option("--organisation", prompt="Organisation name")
@click.option("--role", type=click.Choice([r.value for r in Role]), prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@in_transaction
def create_user(email: str, name: str, organisation: str, role: str, password: str) -> None:
    """Create a user, and their organisation if it is new."""
    kind = OrganisationKind.CONVENOR if role == Role.CONVENOR else OrganisationKind.MEMBER
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name_key == Organisation.key_for(organisation)))
    if org is None:
        errors: dict[str, list[str]] = {}
        clean = users.organisation_values({"name": organisation}, errors)
        if errors:
            raise ValidationFailed(errors)
        org = users.create_organisation(clean, kind)
        click.echo(f"Created organisation {org.name!r} ({kind}).")
    elif org.kind != kind:
        raise click.ClickException(f"{org.name!r} is a {org.kind} organisation; a {role} cannot join it.")
    user = users.create_user(email=email, name=name, password=password, role=Role(role), organisation=org)
    click.echo(f"Created {role} {user.email} in {org.name}.")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="Command line", show_default=True, help="What the token is for.")
@in_transaction
def create_token(email: str, name: str) -> None:
    """Print a new API token for the user with EMAIL (it is shown only this once)."""
    try:
        key = users.normalise_email(email)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    user = db.session.scalar(sa.select(User).where(User.email == key))
    if user is None:
        raise click.ClickException(f"No user has the email address {key}.")
    if not user.is_enabled:
        raise click.ClickException(f"{key} is disabled: a token would not work.")
    plaintext, _token = api_tokens.create_token(user, name)
    click.echo(plaintext)


@users_cli.command("reset-link")
@click.argument("email")
@in_transaction
def reset_link(email: str) -> None:
    """Print a password reset link for EMAIL, to read to someone by phone (no email is sent; earlier links stop
    working; it works once, for PASSWORD_RESET_MINUTES)."""
    path = password_resets.reset_link(email)
    click.echo(current_app.config["BASE_URL"].rstrip("/") + path)


@users_cli.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@in_transaction
def erase_user(email: str, yes: bool) -> None:
    """Erase the person with EMAIL, who has left: name and address become "Former user N"; password, tokens and
    sessions removed. Their organisation's pledges, letters and audit trail remain, under the pseudonym."""
    if not yes:
        click.confirm(f"Erase {email} for good?", abort=True)
    user = erasure.erase_by_email(email)
    click.echo(f"Erased: the account now shows as {user.name}.")


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@in_transaction
def seed(if_empty: bool) -> None:
    """Load a realistic demo: one convening body, an open bid with 39 members, and a draft bid."""
    if if_empty and db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        click.echo("The database already has data; demo not loaded.")
        return
    summary = seed_demo()
    for line in summary:
        click.echo(line)


@demo_cli.command("delivery")
@click.option("--grants", default=400, show_default=True, type=click.IntRange(0, 100_000), help="Grants to record.")
@in_transaction
def delivery(grants: int) -> None:
    """Add last year's bid of the demo's 39 members, won, with the grants they made (after ``demo seed``)."""
    try:
        summary = seed_delivery(grants)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    for line in summary:
        click.echo(line)


@scheduler_cli.command("run")
def run_scheduler() -> None:
    """Run the scheduler in the foreground (production: its own process; web workers do not start it)."""
    run_blocking(current_app._get_current_object())


@scheduler_cli.command("sweep")
def sweep_once() -> None:
    """Run every periodic job once and print what it did (after the emails it queued have been sent)."""
    result = sweep(current_app._get_current_object())
    # Closing a bid sends its notices from a thread after the commit: exiting now would leave them claimed
    # (and so unsent) until the lease runs out.
    notifications.wait_for_sends()
    click.echo(result)


def register(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(scheduler_cli)
    app.cli.add_command(files_cli)
