"""The bare baselines: the thinnest Flask + Flask-SQLAlchemy app that inserts and commits one row per request
(``POST /rows``), and the pledge write's floor (``POST /floor``: the four rows of a pledge save with prebuilt Core
statements in one transaction, ``bench.floor``).

Served exactly like the project (``gunicorn -c gunicorn.conf.py bench.bare_app:app``) against the same
database, with the same SQLite durability settings (WAL, synchronous=NORMAL, busy timeout), so the ratio
between the two measures what the project adds on top of the framework and the database: sessions, CSRF,
access checks, validation, optimistic locking, the revision, audit, event and outbox rows, templates.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bench import floor

TABLE = "bench_bare_rows"


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class BareRow(db.Model):
    __tablename__ = TABLE

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation: Mapped[str] = mapped_column(sa.String(200))
    amount_pence: Mapped[int] = mapped_column(sa.BigInteger)
    homes: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def sqlalchemy_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_app(url: str | None = None) -> Flask:
    application = Flask(__name__)
    application.config["SQLALCHEMY_DATABASE_URI"] = sqlalchemy_url(url or os.environ["DATABASE_URL"])
    application.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    db.init_app(application)

    @application.get("/health")
    def health():
        return "ok"

    @application.get("/directory/<int:body_id>")
    def directory(body_id: int):
        # The directory scenario's baseline: one page of 50 names by name, and the count, as bare SQL.
        where = "WHERE body_id = :b" + (" AND lower(name) LIKE :q" if request.args.get("q") else "")
        params = {"b": body_id, "q": f"%{request.args.get('q', '').lower()}%"}
        total = db.session.execute(sa.text(f"SELECT count(*) FROM directory_entries {where}"), params).scalar()  # noqa: S608
        page = f"SELECT name FROM directory_entries {where} ORDER BY lower(name) LIMIT 50"  # noqa: S608
        names = db.session.execute(sa.text(page), params).scalars()
        return f"<p>{total}</p><ul>" + "".join(f"<li>{n}</li>" for n in names) + "</ul>"

    @application.post("/rows")
    def insert():
        db.session.add(
            BareRow(
                organisation=request.form.get("organisation", ""),
                amount_pence=int(request.form.get("amount_pence", "0")),
                homes=int(request.form.get("homes", "0")),
                created_at=datetime.now(UTC),
            )
        )
        db.session.commit()
        return "", 201

    @application.post("/floor")
    def floor_write():
        with db.engine.begin() as conn:
            floor.write(conn, int(request.form.get("n", "0")))
        return "", 201

    return application


def create_table(url: str) -> None:
    """Create (or empty) the baseline's table; done by the harness, before the server starts."""
    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        Base.metadata.drop_all(engine)
        Base.metadata.create_all(engine)
        floor.create_tables(engine)
    finally:
        engine.dispose()


def count_rows(url: str) -> int:
    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(BareRow)).scalar_one()
    finally:
        engine.dispose()


app = create_app() if os.environ.get("DATABASE_URL") else None
