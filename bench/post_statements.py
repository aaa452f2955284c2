"""The pledge POST's own statements, and nothing else: what the database work of one amendment costs at its
cheapest.

The same statements an amendment through the page makes (read the signed-in user with their organisation and
the browser's session, the bid with the organisation's membership, the pledge; then the pledge's versioned
UPDATE, its revision, audit row, live event and receipt email, and its region shares rewritten), prebuilt with
SQLAlchemy Core on the project's own tables and run in one transaction on one connection: no ORM, no Flask, no
forms, no templates (the receipt's bodies are taken, once, from a receipt the application wrote). ``read``
alone is the form page's statements. So these are floors for the work the page and the POST are asked to do,
beside ``bench.floor``'s four inserts, which are a floor for a smaller piece of work: the ratio of the two says
how much of the POST's target is spent before any framework code runs. ``bench.pledge_cpu`` runs them
alternating with the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from app.infra import tokens
from app.models import AuditEvent, Bid, BidEvent, EmailMessage, Invitation, Organisation, Pledge, PledgeRevision, User
from app.models.account import UserSession
from app.models.outbox import new_message_id
from app.models.pledge_shares import PledgeRegionShare

_USERS, _ORGS, _SESSIONS = User.__table__, Organisation.__table__, UserSession.__table__
_BIDS, _INVITATIONS, _PLEDGES = Bid.__table__, Invitation.__table__, Pledge.__table__
_SHARES = PledgeRegionShare.__table__

READ_USER = (
    sa.select(
        _USERS,
        _ORGS.c.name.label("organisation_name"),
        sa.exists()
        .where(
            _SESSIONS.c.key_hash == sa.bindparam("key_hash"),
            _SESSIONS.c.user_id == _USERS.c.id,
            _SESSIONS.c.ended_at.is_(None),
        )
        .label("live"),
    )
    .join(_ORGS, _ORGS.c.id == _USERS.c.organisation_id)
    .where(_USERS.c.id == sa.bindparam("user_id"))
)
READ_BID = sa.select(
    _BIDS,
    sa.exists()
    .where(
        _INVITATIONS.c.bid_id == _BIDS.c.id,
        _INVITATIONS.c.organisation_id == sa.bindparam("organisation_id"),
        _INVITATIONS.c.status == "accepted",
    )
    .label("joined"),
).where(_BIDS.c.id == sa.bindparam("bid_id"))
READ_PLEDGE = sa.select(_PLEDGES).where(
    _PLEDGES.c.bid_id == sa.bindparam("bid_id"), _PLEDGES.c.organisation_id == sa.bindparam("organisation_id")
)
UPDATE_PLEDGE = (
    sa.update(_PLEDGES)
    .where(_PLEDGES.c.id == sa.bindparam("pledge_id"), _PLEDGES.c.version == sa.bindparam("old_version"))
    .values(
        amount_pence=sa.bindparam("amount_pence"),
        homes=sa.bindparam("homes"),
        statement=sa.bindparam("statement"),
        terms_accepted_at=sa.bindparam("now"),
        updated_at=sa.bindparam("now"),
        version=sa.bindparam("new_version"),
    )
)
INSERT_REVISION = sa.insert(PledgeRevision.__table__)
INSERT_AUDIT = sa.insert(AuditEvent.__table__)
INSERT_EVENT = sa.insert(BidEvent.__table__).returning(BidEvent.__table__.c.id)
INSERT_EMAIL = sa.insert(EmailMessage.__table__).returning(EmailMessage.__table__.c.id)
DELETE_SHARES = sa.delete(_SHARES).where(_SHARES.c.pledge_id == sa.bindparam("pledge_id"))
INSERT_SHARES = sa.insert(_SHARES)


@dataclass(frozen=True)
class Amender:
    """Who amends which pledge, and a receipt's subject and bodies to queue (read once, not measured)."""

    user_id: int
    key_hash: str
    bid_id: int
    organisation_id: int
    email: dict

    @classmethod
    def for_member(cls, conn: sa.Connection, email: str, bid_id: int) -> Amender:
        user = conn.execute(sa.select(_USERS.c.id, _USERS.c.organisation_id).where(_USERS.c.email == email)).one()
        receipt = conn.execute(
            sa.select(EmailMessage.__table__)
            .where(EmailMessage.__table__.c.kind == "pledge_receipt")
            .order_by(EmailMessage.__table__.c.id.desc())
            .limit(1)
        ).one()
        keep = ("to_address", "subject", "body_text", "body_html", "kind", "bid_id")
        return cls(
            user.id,
            tokens.digest("bench-browser"),
            bid_id,
            user.organisation_id,
            {k: receipt._mapping[k] for k in keep},
        )


def read(conn: sa.Connection, who: Amender) -> tuple[sa.Row, sa.Row]:
    """The reads the form's page and its POST both start with: the user, the bid with the membership, the pledge."""
    user = conn.execute(READ_USER, {"user_id": who.user_id, "key_hash": who.key_hash}).one()
    conn.execute(READ_BID, {"bid_id": who.bid_id, "organisation_id": who.organisation_id}).one()
    pledge = conn.execute(READ_PLEDGE, {"bid_id": who.bid_id, "organisation_id": who.organisation_id}).one()
    return user, pledge


def amend(conn: sa.Connection, who: Amender, n: int) -> None:
    """One amendment's statements on ``conn`` (the caller's transaction)."""
    user, pledge = read(conn, who)
    now = datetime.now(UTC)
    before = {
        "amount_pence": pledge.amount_pence,
        "homes": pledge.homes,
        "regions": pledge.regions,
        "statement": pledge.statement,
        "status": pledge.status,
    }
    after = {**before, "amount_pence": 200_000 + n, "homes": 100 + n % 50}
    version = pledge.version + 1
    conn.execute(
        UPDATE_PLEDGE,
        {
            "pledge_id": pledge.id,
            "old_version": pledge.version,
            "new_version": version,
            "amount_pence": after["amount_pence"],
            "homes": after["homes"],
            "statement": pledge.statement,
            "now": now,
        },
    )
    conn.execute(
        INSERT_REVISION,
        {
            "pledge_id": pledge.id,
            "bid_id": who.bid_id,
            "organisation_id": who.organisation_id,
            "version": version,
            "action": "amended",
            "actor_id": who.user_id,
            "created_at": now,
            "before": before,
            "after": after,
            "amount_change_pence": after["amount_pence"] - before["amount_pence"],
            "members_change": 0,
        },
    )
    conn.execute(
        INSERT_AUDIT,
        {
            "created_at": now,
            "actor_id": who.user_id,
            "organisation_id": who.organisation_id,
            "bid_id": who.bid_id,
            "action": "pledge.amended",
            "subject_type": "Pledge",
            "subject_id": pledge.id,
            "before": before,
            "after": after,
            "ip_address": None,
        },
    )
    conn.execute(
        INSERT_EVENT,
        {
            "bid_id": who.bid_id,
            "created_at": now,
            "kind": "pledge.amended",
            "organisation_id": who.organisation_id,
            "payload": {
                "organisation": user.organisation_name,
                "amount_pence": after["amount_pence"],
                "homes": after["homes"],
            },
        },
    ).scalar_one()
    conn.execute(
        INSERT_EMAIL,
        {
            **who.email,
            "message_id": new_message_id("bench.invalid"),
            "status": "sent",  # not for the sender: nothing here is ever sent
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
        },
    ).scalar_one()
    conn.execute(DELETE_SHARES, {"pledge_id": pledge.id})
    regions = [r for r in pledge.regions or []] or ["LON"]
    share = after["amount_pence"] // len(regions)
    conn.execute(
        INSERT_SHARES,
        [
            {"pledge_id": pledge.id, "region": r, "bid_id": who.bid_id, "amount_pence": share, "homes": 1}
            for r in dict.fromkeys(regions)
        ],
    )
