"""Engine settings: SQLite pragmas, write transactions that take the lock up front, and a fair queue for it.

SQLite lets one writer in at a time. A connection that finds the write lock taken sleeps and retries
(the busy handler) for up to ``BUSY_TIMEOUT_MS``; waiters are not served in order, and one that sleeps
while others keep arriving can lose every race until its time runs out ("database is locked"). So each
write transaction first queues in order for a per-database write gate: within a process threads are served
first come, first served (``WriteGate``); between processes (gunicorn workers, the scheduler, a CLI
command) a lock file beside the database (``flock``) wakes the next waiter as soon as the lock is free. Only
the head of each process's queue ever waits in SQLite's busy handler, and never for long.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import Pool

try:  # the lock file needs POSIX flock; elsewhere the in-process queue alone applies
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Whether the current unit of work may write. Safe HTTP methods clear it; everything else
#: (form posts, the API's writes, the CLI, the scheduler, tests) writes.
write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=True)

#: SQLite's own wait for the write lock. With the gate in front, only one waiter per process uses it.
BUSY_TIMEOUT_MS = 15_000
#: How long a write transaction may queue for the gate before it is refused (503): less than gunicorn's
#: WEB_TIMEOUT, so a request is answered rather than killed.
WRITE_QUEUE_SECONDS = 45.0
_HOLDS = "write_gate"


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would otherwise begin lazily).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_MS)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    if conn.dialect.name != "sqlite":
        return
    # A deferred transaction that reads and then writes fails at once with "database is locked"
    # if another writer committed in between; BEGIN IMMEDIATE queues for the write lock instead.
    if not write_intent.get():
        conn.exec_driver_sql("BEGIN")
        return
    gate = gate_for(conn.engine.url.database)
    if gate is not None:
        if not gate.acquire(WRITE_QUEUE_SECONDS):
            raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked (write queue)"))
        conn.connection._connection_record.info[_HOLDS] = gate
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        _release(conn.connection._connection_record)
        raise


def _release(connection_record) -> None:
    if connection_record is None:
        return
    gate = connection_record.info.pop(_HOLDS, None)
    if gate is not None:
        gate.release()


# The gate is let go as the transaction ends: SQLAlchemy's commit or rollback, or the pool resetting,
# returning or discarding a connection whose transaction was never ended.
@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _transaction_ended(conn) -> None:
    if conn.dialect.name != "sqlite" or conn.closed or conn.invalidated:
        return  # a discarded connection lets go through the pool's events
    _release(conn.connection._connection_record)


@event.listens_for(Pool, "reset")
def _pool_reset(dbapi_connection, connection_record, reset_state) -> None:
    _release(connection_record)


@event.listens_for(Pool, "checkin")
def _pool_checkin(dbapi_connection, connection_record) -> None:
    _release(connection_record)


@event.listens_for(Pool, "invalidate")
def _pool_invalidate(dbapi_connection, connection_record, exception) -> None:
    _release(connection_record)


class WriteGate:
    """First come, first served entry to one database's write lock, for every thread of this process.

    Re-entrant per thread (a second connection of the same thread goes straight through, as SQLite
    alone would let it try), and backed by a lock file so that processes take turns as well.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._cond = threading.Condition()
        self._queue: deque[object] = deque()
        self._owner: int | None = None
        self._depth = 0
        self._file: int | None = None
        self._file_pid: int | None = None

    def acquire(self, timeout: float) -> bool:
        me = threading.get_ident()
        until = time.monotonic() + timeout
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return True
            ticket = object()
            self._queue.append(ticket)
            ready = self._cond.wait_for(lambda: self._owner is None and self._queue[0] is ticket, timeout)
            self._queue.remove(ticket)
            if not ready:
                self._cond.notify_all()
                return False
            self._owner, self._depth = me, 1
        # The head of this process's queue now waits for the other processes' heads (outside the condition,
        # so later arrivals can still join the queue meanwhile).
        if not self._lock_file(until):
            self.release()
            return False
        return True

    def release(self) -> None:
        with self._cond:
            if self._owner != threading.get_ident() and self._owner is not None and self._depth:
                # A connection handed to another thread (rare: a pool reset from a different thread).
                log.debug("write gate released by a thread that did not take it")
            self._depth -= 1
            if self._depth > 0:
                return
            self._unlock_file()
            self._owner, self._depth = None, 0
            self._cond.notify_all()

    def _lock_file(self, until: float) -> bool:
        if fcntl is None:
            return True
        if self._file is None or self._file_pid != os.getpid():  # a forked worker opens its own
            self._file = os.open(self.path + "-writegate", os.O_RDWR | os.O_CREAT, 0o600)
            self._file_pid = os.getpid()
        delay = 0.0005
        while True:
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= until:
                    return False
                # Only one thread per process is here, so this short poll costs little; it stays under
                # SQLite's own back-off (up to 100 ms a sleep), which is what made waiters lose races.
                time.sleep(delay)
                delay = min(delay * 2, 0.005)

    def _unlock_file(self) -> None:
        if fcntl is not None and self._file is not None and self._file_pid == os.getpid():
            fcntl.flock(self._file, fcntl.LOCK_UN)


_gates: dict[str, WriteGate] = {}
_gates_lock = threading.Lock()


def gate_for(database: str | None) -> WriteGate | None:
    """The write gate of a SQLite database file (None for an in-memory database)."""
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    path = os.path.abspath(database)
    with _gates_lock:
        gate = _gates.get(path)
        if gate is None:
            gate = _gates[path] = WriteGate(path)
        return gate


@contextlib.contextmanager
def reading() -> Iterator[None]:
    """Transactions begun inside the block only read: on SQLite they take no write lock."""
    token = write_intent.set(False)
    try:
        yield
    finally:
        write_intent.reset(token)


def done_writing(session) -> None:
    """The request has nothing (more) to write, only a page to render: end its transaction, and with it
    SQLite's write lock, so that what follows reads in a read transaction that other writers do not wait for.
    """
    session.rollback()
    write_intent.set(False)


def is_locked_error(error: BaseException) -> bool:
    """Whether a database error means "busy, try again" (SQLite's lock, the write queue, a deadlock)."""
    text = str(getattr(error, "orig", error)).lower()
    return isinstance(error, OperationalError) and (
        "database is locked" in text or "database is busy" in text or "deadlock detected" in text
    )


def retry_when_locked(work: Callable[[], T], *, attempts: int = 6, first_delay: float = 0.25) -> T:
    """Run ``work``; when the database is busy, wait (doubling) and run it again. For background threads,
    which have nobody to show a 503 to: they must not die because another writer was slow."""
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except OperationalError as exc:
            if attempt == attempts or not is_locked_error(exc):
                raise
            log.warning("database busy (attempt %s of %s), retrying in %.2f s: %s", attempt, attempts, delay, exc)
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover
