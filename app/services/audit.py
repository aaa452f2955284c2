"""Audit events and bid events, written in the same transaction as the change they describe."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.infra import clock
from app.infra.after_commit import after_commit
from app.models import AuditEvent, Bid, BidEvent, User


def record(
    action: str,
    *,
    actor: User | None = None,
    bid: Bid | None = None,
    organisation_id: int | None = None,
    subject: Any = None,
    before: dict | None = None,
    after: dict | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Add an audit event to the session (committed with the change, or not at all)."""
    if organisation_id is None and actor is not None:
        organisation_id = actor.organisation_id
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor is not None else None,
        organisation_id=organisation_id,
        bid_id=bid.id if bid is not None else None,
        subject_type=type(subject).__name__ if subject is not None else None,
        subject_id=getattr(subject, "id", None),
        before=_jsonable(before),
        after=_jsonable(after),
        ip_address=ip_address,
        created_at=clock.now(),  # the moment of the change, not of the flush that writes it
    )
    db.session.add(event)
    return event


#: first key of the advisory lock that orders a bid's events (the second is the bid id)
EVENT_LOCK_CLASS = 0x6C697665


def emit(bid: Bid, kind: str, payload: dict | None = None, *, organisation_id: int | None = None) -> BidEvent:
    """Add a bid event row and wake the live streams once it has committed.

    On PostgreSQL the bid's event writers queue on a transaction lock first, so that ids are handed out in
    commit order: a stream that has read up to id N can then never miss an N-1 that commits later.
    (SQLite writers are serialised by BEGIN IMMEDIATE already.)
    """
    if db.session.get_bind().dialect.name == "postgresql":
        with db.session.no_autoflush:  # the change's rows go in its one flush, with this event
            db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(EVENT_LOCK_CLASS, bid.id)))
    event = BidEvent(
        bid_id=bid.id,
        kind=kind,
        payload=_jsonable(payload or {}),
        organisation_id=organisation_id,
        created_at=clock.now(),  # the moment of the change, not of the flush that writes it
    )
    db.session.add(event)  # written with the change's other rows, in its flush
    broker = current_app.extensions.get("broker")
    if broker is not None:
        bid_id = bid.id
        # Committed, the row has its id; an expired row still knows it without a query.
        after_commit(db.session(), lambda: broker.publish(bid_id, sa.inspect(event).identity[0]))
    return event


def events_for_bid(bid: Bid, *, page: int = 1, per_page: int = 50) -> tuple[list[AuditEvent], int]:
    """A page of the bid's audit log, newest first, and the total count."""
    base = sa.select(AuditEvent).where(AuditEvent.bid_id == bid.id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0
    rows = db.session.scalars(base.order_by(AuditEvent.id.desc()).limit(per_page).offset((page - 1) * per_page)).all()
    return list(rows), total


def jsonable(value):
    """``value`` with dates and times as ISO text, as an audit event stores it (for a conflict's ``current``)."""
    return _jsonable(value)


def _jsonable(value):
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
