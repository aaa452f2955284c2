"""Engine settings: SQLite pragmas and write transactions that take the lock up front."""

from __future__ import annotations

import contextvars
import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine

#: Whether the current unit of work may write. Safe HTTP methods clear it; everything else
#: (form posts, the API's writes, the CLI, the scheduler, tests) writes.
write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=True)


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would otherwise begin lazily).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    if conn.dialect.name != "sqlite":
        return
    # A deferred transaction that reads and then writes fails at once with "database is locked"
    # if another writer committed in between; BEGIN IMMEDIATE queues for the write lock instead.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")
