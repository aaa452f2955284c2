"""The application factory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import Flask

from app import api, cli, database
from app.auth import profile as _auth_profile  # noqa: F401  (its views are on the auth blueprint)
from app.auth import reset as _auth_reset  # noqa: F401
from app.auth.routes import bp as auth_bp
from app.bids.routes import bp as bids_bp
from app.delivery import bp as delivery_bp
from app.directory.routes import bp as directory_bp
from app.documents.routes import bp as documents_bp
from app.extensions import csrf, db, limiter, login_manager, mail, migrate
from app.funder.routes import bp as funder_bp
from app.infra import after_commit, facts, logs, storage
from app.infra.broker import make_broker
from app.infra.redis_pool import configure_limiter_storage
from app.invitations.routes import bp as invitations_bp
from app.jobs import start_in_process
from app.letters.routes import bp as letters_bp
from app.live.routes import bp as live_bp
from app.models import pledge_shares
from app.pledges.routes import bp as pledges_bp
from app.reminders.routes import bp as reminders_bp
from app.returns import bp as returns_bp
from app.settings.routes import bp as settings_bp
from app.team.routes import bp as team_bp
from app.web import (
    committed,
    errors,
    operations,
    rate_limits,  # noqa: F401  (registers the limiter's request filter)
    refusals,
    security,
    templating,
)
from app.web.received import ReceivedAt
from app.web.sign_in import load_user
from app.web.transaction import App
from config import Config, config_for, development_secret_key

#: Installed by importing it: the engine event listeners (SQLite pragmas, BEGIN IMMEDIATE for writes).
_ENGINE_SETTINGS = database

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type[Config] | None = None, **overrides) -> Flask:
    """Build the app: configuration, extensions, blueprints, error handlers, CLI and scheduler."""
    config = config or config_for()
    app = App(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder="static",
        instance_path=str(Path(config.INSTANCE_DIR)),
    )
    app.config.from_object(config)
    app.config.update(overrides)
    _check_secret_key(app)
    logs.configure(app.config.get("LOG_LEVEL", "INFO"), app.config.get("LOG_FORMAT", "text"))
    _check_file_storage(app)

    register_extensions(app)
    operations.register(app)  # first: the request id exists before any other step runs
    register_blueprints(app)
    errors.register(app)
    security.register(app)
    refusals.register(app)
    templating.register(app)
    app.wsgi_app = ReceivedAt(app.wsgi_app)
    cli.register(app)
    committed.register(app)  # last: it guards every after-request and teardown step registered above
    if _wants_in_process_scheduler(app):
        start_in_process(app)
    return app


def _wants_in_process_scheduler(app: Flask) -> bool:
    """The web process under ``make run`` sweeps; one-off ``flask`` commands (db upgrade, demo seed) do not,
    so a sweep never races a migration or runs against a database that has no tables yet."""
    if not app.config.get("SCHEDULER_ENABLED") or os.environ.get("SCHEDULER_IN_PROCESS", "1") != "1":
        return False
    return click.get_current_context(silent=True) is None or "run" in sys.argv[1:]


def _check_file_storage(app: Flask) -> None:
    if app.config.get("FILE_STORAGE") not in storage.BACKENDS:
        raise RuntimeError(
            f"FILE_STORAGE must be one of {', '.join(storage.BACKENDS)}; got {app.config.get('FILE_STORAGE')!r}"
        )
    if app.config["FILE_STORAGE"] == "local":
        Path(app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)


def _check_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if app.config.get("ENV_NAME") == "development":
        app.config["SECRET_KEY"] = development_secret_key(Path(app.instance_path))
        return
    raise RuntimeError(
        "SECRET_KEY is not set. Set it in the environment (for example `export SECRET_KEY=$(python -c "
        "'import secrets; print(secrets.token_hex(32))')`), or run with APP_ENV=development for a local demo."
    )


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    mail.init_app(app)
    configure_limiter_storage(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    after_commit.install(_session_class(db))
    facts.install(_session_class(db))
    pledge_shares.install(_session_class(db))
    app.extensions["broker"] = make_broker(app)


def _session_class(db):
    # Flask-SQLAlchemy's scoped session builds sessions of this class.
    return db.session.session_factory.class_


def register_blueprints(app: Flask) -> None:
    for bp in (
        auth_bp,
        bids_bp,
        invitations_bp,
        pledges_bp,
        letters_bp,
        documents_bp,
        funder_bp,
        reminders_bp,
        live_bp,
        settings_bp,
        team_bp,
        directory_bp,
        delivery_bp,
        returns_bp,
    ):
        app.register_blueprint(bp)
    api.register(app)
    # Browsers ask for /favicon.ico whatever the page links: answer with the vendored icon, not a 404.
    app.add_url_rule("/favicon.ico", "favicon", lambda: app.send_static_file("favicon.ico"), methods=["GET"])
