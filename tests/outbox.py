"""Helpers for tests of the outbox's sending: apps on the test database with their own mail settings, plain
queued messages, and a database that is "locked" while a message is being marked sent."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from app import create_app
from app.extensions import db
from app.models import EmailMessage
from config import TestConfig


@contextlib.contextmanager
def sender_apps(database_url: str, folder: Path) -> Iterator[Callable[..., object]]:
    """``make(**settings)``: an app on the test database with these mail settings (a 5-second mail timeout unless
    they say otherwise); each one's engine is disposed of at the end."""
    made = []

    def make(**settings):
        application = create_app(
            TestConfig,
            SQLALCHEMY_DATABASE_URI=database_url,
            UPLOAD_DIR=str(folder / "uploads"),
            PACK_DIR=str(folder / "packs"),
            **({"MAIL_TIMEOUT": 5} | settings),
        )
        made.append(application)
        return application

    try:
        yield make
    finally:
        for application in made:
            with application.app_context():
                db.session.remove()
                db.engine.dispose()


def queue_plain(count: int) -> list[int]:
    """``count`` pending messages to member<n>@example.org, committed; their ids in order."""
    rows = [
        EmailMessage(to_address=f"member{n}@example.org", subject=f"Receipt {n}", body_text=f"Body {n}", kind="test")
        for n in range(count)
    ]
    db.session.add_all(rows)
    db.session.commit()
    ids = [row.id for row in rows]
    db.session.remove()
    return ids


@contextlib.contextmanager
def locked_while_marking_sent(times: int) -> Iterator[dict]:
    """The next ``times`` statements that mark a message sent fail as SQLAlchemy raises the driver's "database
    is locked" (SQLite's answer after the busy timeout). Yields {"left": n}: how many are still to fail."""
    locks = {"left": times}

    def locked(conn, cursor, statement, parameters, context, executemany):
        marking_sent = statement.lstrip().upper().startswith("UPDATE EMAIL_MESSAGES") and "'sent'" in repr(parameters)
        if marking_sent and locks["left"]:
            locks["left"] -= 1
            raise sa.exc.OperationalError(
                statement, parameters, conn.dialect.dbapi.OperationalError("database is locked")
            )

    event.listen(db.engine, "before_cursor_execute", locked)
    try:
        yield locks
    finally:
        event.remove(db.engine, "before_cursor_execute", locked)
