"""Units in batches of SAVEPOINTs (units.in_batches), and what a rolled-back SAVEPOINT does to the work queued
for after the commit (app.infra.after_commit): dropped with it, while the rest of the transaction's still goes."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app import notifications
from app.extensions import db
from app.infra import units
from app.infra.after_commit import after_commit, on_rollback
from app.models import Organisation


def _add(name: str) -> None:
    db.session.execute(sa.insert(Organisation), [{"name": name, "name_key": name, "kind": "member"}])


def _names() -> list[str]:
    db.session.expire_all()
    return sorted(db.session.scalars(sa.select(Organisation.name).where(Organisation.name.like("unit %"))))


@pytest.fixture
def commits(ctx):
    """The number of database commits made while the test runs."""
    count = [0]

    def counted(conn) -> None:
        count[0] += 1

    event.listen(db.engine, "commit", counted)
    yield count
    event.remove(db.engine, "commit", counted)


def test_in_batches_commits_every_size_units_and_returns_what_it_kept(commits):
    def work(n: int) -> int:
        _add(f"unit {n}")
        return n * 10

    assert units.in_batches(range(5), work, what="unit", size=2) == [(n, n * 10) for n in range(5)]
    assert commits[0] == 3  # two, two, then the one left
    assert _names() == [f"unit {n}" for n in range(5)]


def test_in_batches_commits_sooner_once_a_batch_has_been_open_its_time(commits):
    units.in_batches(range(3), lambda n: _add(f"unit {n}"), what="unit", size=100, seconds=0)
    assert commits[0] == 3


def test_a_unit_that_fails_is_undone_alone_and_logged(ctx, caplog):
    def work(n: int) -> int:
        _add(f"unit {n}")
        if n == 2:
            raise RuntimeError("bad unit")
        return n

    with caplog.at_level(logging.ERROR, logger="app.infra.units"):
        done = units.in_batches(range(4), work, what="unit", size=10)
    assert done == [(0, 0), (1, 1), (3, 3)]
    assert "unit 2 failed" in caplog.text
    assert _names() == ["unit 0", "unit 1", "unit 3"]


def test_a_batch_whose_commit_fails_keeps_nothing_and_says_so(ctx, monkeypatch, caplog):
    def refuse() -> None:
        raise RuntimeError("disk full")

    def work(n: int) -> int:
        _add(f"unit {n}")
        if n == 1:
            db.session.info.setdefault("refuse", True)
        return n

    commit = db.session.commit

    def commit_unless_refused() -> None:
        if db.session.info.pop("refuse", False):
            refuse()
        commit()

    monkeypatch.setattr(db.session, "commit", commit_unless_refused)
    with caplog.at_level(logging.ERROR, logger="app.infra.units"):
        done = units.in_batches(range(4), work, what="unit", size=2)
    assert done == [(2, 2), (3, 3)]
    assert "unit: a batch of 2 failed to commit" in caplog.text
    assert _names() == ["unit 2", "unit 3"]


def test_callbacks_queued_in_a_rolled_back_savepoint_are_dropped(ctx):
    ran: list[str] = []
    session = db.session()
    _add("unit before")
    after_commit(session, lambda: ran.append("before"))
    with pytest.raises(RuntimeError), session.begin_nested():
        after_commit(session, lambda: ran.append("failed"))
        on_rollback(session, lambda: ran.append("undo failed"))
        raise RuntimeError
    assert ran == ["undo failed"]  # its undo runs as the SAVEPOINT rolls back
    with session.begin_nested():
        after_commit(session, lambda: ran.append("released"))
        on_rollback(session, lambda: ran.append("undo released"))
        with pytest.raises(RuntimeError), session.begin_nested():
            after_commit(session, lambda: ran.append("inner failed"))
            raise RuntimeError
    db.session.commit()
    assert ran == ["undo failed", "before", "released"]


def test_emails_queued_in_a_rolled_back_savepoint_are_not_handed_to_the_sender(ctx, monkeypatch):
    handed: list[int] = []
    monkeypatch.setattr(notifications, "send_now", lambda app, ids: handed.extend(ids))
    row = {"to_address": "a@example.org", "subject": "S", "body_text": "t", "body_html": None, "kind": "test"}

    def queue(n: int) -> int:
        [message_id] = notifications.queue_rows([{**row, "message_id": f"<{n}@test>", "bid_id": None}])
        return message_id

    first = queue(1)
    with pytest.raises(RuntimeError), db.session.begin_nested():
        queue(2)
        raise RuntimeError
    with db.session.begin_nested():
        third = queue(3)
    db.session.commit()
    assert handed == [first, third]

    # A SAVEPOINT that queued the transaction's first email, rolled back: the next email is still handed over.
    with pytest.raises(RuntimeError), db.session.begin_nested():
        queue(4)
        raise RuntimeError
    fifth = queue(5)
    db.session.commit()
    assert handed == [first, third, fifth]


def test_each_batch_begins_with_the_keys_it_may_take(ctx):
    seen: list[list[int]] = []
    done = units.in_batches(range(5), lambda n: _add(f"unit {n}"), what="unit", size=2, begin=seen.append)
    assert seen == [[0, 1], [2, 3], [4]]
    assert [key for key, _ in done] == [0, 1, 2, 3, 4]


def test_a_batch_whose_preparation_fails_still_runs_its_units(ctx, caplog):
    def begin(keys: list[int]) -> None:
        _add("unit prepared")
        raise RuntimeError("lock refused")

    with caplog.at_level(logging.ERROR, logger="app.infra.units"):
        done = units.in_batches(range(3), lambda n: _add(f"unit {n}"), what="unit", size=10, begin=begin)
    assert [key for key, _ in done] == [0, 1, 2]
    assert "unit: preparing a batch failed" in caplog.text
    assert _names() == ["unit 0", "unit 1", "unit 2"]  # what the failed preparation wrote was undone
