"""The pledge write's floor: the same four rows a pledge save writes (the pledge, its revision, the audit row and
the live event), inserted with prebuilt SQLAlchemy Core statements in one transaction.

Nothing else: no session, no CSRF, no access check, no validation, no templates, no email. The rows have the
project's columns and values of the same size, in tables of their own without constraints (``bench_floor_*``),
so that every floor write is a fresh insert. ``bench.bare_app`` serves it as ``POST /floor``; the in-process
CPU benchmark (``bench.pledge_cpu``) runs it on the project's own engine.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

metadata = sa.MetaData()
_WHEN = sa.DateTime(timezone=True)

PLEDGES = sa.Table(
    "bench_floor_pledges",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("bid_id", sa.Integer),
    sa.Column("organisation_id", sa.Integer),
    sa.Column("amount_pence", sa.BigInteger),
    sa.Column("homes", sa.Integer),
    sa.Column("regions", sa.JSON),
    sa.Column("statement", sa.Text),
    sa.Column("status", sa.String(20)),
    sa.Column("terms_accepted_at", _WHEN),
    sa.Column("in_grace", sa.Boolean),
    sa.Column("version", sa.Integer),
    sa.Column("created_at", _WHEN),
    sa.Column("updated_at", _WHEN),
    sa.Column("created_by_id", sa.Integer),
    sa.Column("updated_by_id", sa.Integer),
)
REVISIONS = sa.Table(
    "bench_floor_revisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("pledge_id", sa.Integer),
    sa.Column("bid_id", sa.Integer),
    sa.Column("organisation_id", sa.Integer),
    sa.Column("version", sa.Integer),
    sa.Column("action", sa.String(20)),
    sa.Column("actor_id", sa.Integer),
    sa.Column("created_at", _WHEN),
    sa.Column("before", sa.JSON),
    sa.Column("after", sa.JSON),
)
AUDITS = sa.Table(
    "bench_floor_audits",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created_at", _WHEN),
    sa.Column("actor_id", sa.Integer),
    sa.Column("organisation_id", sa.Integer),
    sa.Column("bid_id", sa.Integer),
    sa.Column("action", sa.String(60)),
    sa.Column("subject_type", sa.String(40)),
    sa.Column("subject_id", sa.Integer),
    sa.Column("before", sa.JSON),
    sa.Column("after", sa.JSON),
    sa.Column("ip_address", sa.String(64)),
)
EVENTS = sa.Table(
    "bench_floor_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("bid_id", sa.Integer),
    sa.Column("created_at", _WHEN),
    sa.Column("kind", sa.String(40)),
    sa.Column("organisation_id", sa.Integer),
    sa.Column("payload", sa.JSON),
)
INSERT_PLEDGE = PLEDGES.insert().returning(PLEDGES.c.id)
INSERT_REVISION = REVISIONS.insert()
INSERT_AUDIT = AUDITS.insert()
INSERT_EVENT = EVENTS.insert()
STATEMENT = "Grants for community groups near our homes (change 1)."


def write(conn: sa.Connection, n: int) -> int:
    """The four inserts of one pledge write ``n`` on ``conn`` (the caller's transaction); returns the pledge id."""
    now = datetime.now(UTC)
    amount = 100_000 + n
    after = {
        "amount_pence": amount,
        "homes": 110,
        "regions": ["NW", "YH"],
        "statement": STATEMENT,
        "status": "indicative",
    }
    pledge_id = conn.execute(
        INSERT_PLEDGE,
        {
            "bid_id": 1,
            "organisation_id": n,
            "amount_pence": amount,
            "homes": 110,
            "regions": ["NW", "YH"],
            "statement": STATEMENT,
            "status": "indicative",
            "terms_accepted_at": now,
            "in_grace": False,
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "created_by_id": n,
            "updated_by_id": n,
        },
    ).scalar_one()
    conn.execute(
        INSERT_REVISION,
        {
            "pledge_id": pledge_id,
            "bid_id": 1,
            "organisation_id": n,
            "version": 1,
            "action": "created",
            "actor_id": n,
            "created_at": now,
            "before": None,
            "after": after,
        },
    )
    conn.execute(
        INSERT_AUDIT,
        {
            "created_at": now,
            "actor_id": n,
            "organisation_id": n,
            "bid_id": 1,
            "action": "pledge.created",
            "subject_type": "Pledge",
            "subject_id": pledge_id,
            "before": None,
            "after": after,
            "ip_address": None,
        },
    )
    conn.execute(
        INSERT_EVENT,
        {
            "bid_id": 1,
            "created_at": now,
            "kind": "pledge.created",
            "organisation_id": n,
            "payload": {"organisation": f"Org {n}", "amount_pence": amount, "homes": 110, "status": "indicative"},
        },
    )
    return pledge_id


def create_tables(engine: sa.Engine) -> None:
    """Create (or empty) the floor's tables."""
    metadata.drop_all(engine)
    metadata.create_all(engine)


def count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(PLEDGES)).scalar_one()
