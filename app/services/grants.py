"""Grants members make in a won bid's delivery phase: record, edit and delete (until delivery closes), read.

A member organisation sees and changes only its own grants; the bid's convenors read every grant.
Raises ValidationFailed, InvalidTransition, StaleVersion, NotFound and PermissionDenied.
"""

from __future__ import annotations

import secrets
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.infra import clock
from app.models import GRANT_FIELDS, Bid, Grant, User
from app.money import format_pence
from app.services import audit, audit_kinds
from app.services.access import is_bid_convenor, is_bid_member
from app.services.directory_names import duplicate_key
from app.services.errors import InvalidTransition, NotFound, PermissionDenied, StaleVersion
from app.services.grant_values import validate_grant
from app.services.outcomes import outcome_of


def new_reference() -> str:
    """The stable part of a grant's 360Giving id: random, so it says nothing and never collides in practice."""
    return secrets.token_hex(8)


def require_open_delivery(bid: Bid) -> None:
    """Raise InvalidTransition unless the bid is won and its delivery is not closed."""
    if not bid.in_delivery:
        raise InvalidTransition("Grants are recorded once the bid is won.")
    outcome = outcome_of(bid)
    if outcome is not None and outcome.delivery_closed_at is not None:
        raise InvalidTransition("Delivery is closed: grants can no longer be added, changed or deleted.")


def _require_member(actor: User, bid: Bid) -> None:
    if not is_bid_member(actor, bid):
        raise PermissionDenied("Only member organisations record grants; convenors read them.")


def list_grants(actor: User, bid: Bid) -> list[Grant]:
    """The grants the actor may see: every grant for the bid's convenors, the organisation's own for a member."""
    stmt = sa.select(Grant).where(Grant.bid_id == bid.id)
    if not is_bid_convenor(actor, bid):
        stmt = stmt.where(Grant.organisation_id == actor.organisation_id)
    return list(db.session.scalars(stmt.order_by(Grant.award_date, Grant.id)))


def get_grant(actor: User, bid: Bid, grant_id: int) -> Grant:
    """One grant, or NotFound when it is not the actor's to see (another organisation's grant is never shown)."""
    grant = db.session.get(Grant, grant_id)
    if grant is None or grant.bid_id != bid.id:
        raise NotFound("No such grant.")
    if not is_bid_convenor(actor, bid) and grant.organisation_id != actor.organisation_id:
        raise NotFound("No such grant.")
    return grant


def recipient_key(name: str) -> str:
    """The recipient's name folded as the directory folds names (``directory_names.duplicate_key``), so one
    group under two spellings is flagged the same way in both places."""
    return duplicate_key(name)[:200]


def create_grant(actor: User, bid: Bid, values: dict[str, Any], *, reference: str | None = None) -> Grant:
    """Record a grant the actor's organisation made; audited."""
    _require_member(actor, bid)
    require_open_delivery(bid)
    clean = validate_grant(values)
    now = clock.now()
    grant = Grant(
        bid_id=bid.id,
        organisation_id=actor.organisation_id,
        reference=reference or new_reference(),
        recipient_key=recipient_key(clean["recipient_name"]),
        created_at=now,
        updated_at=now,
        created_by_id=actor.id,
        updated_by_id=actor.id,
        **clean,
    )
    db.session.add(grant)
    db.session.flush()
    audit.record("grant.created", actor=actor, bid=bid, subject=grant, after=grant.snapshot())
    return grant


def update_grant(
    actor: User, bid: Bid, grant: Grant, values: dict[str, Any], *, expected_version: int | None = None
) -> Grant:
    """Change some of a grant's values (the rest stay); a stale ``expected_version`` is a StaleVersion."""
    _require_member(actor, bid)
    if grant.organisation_id != actor.organisation_id:
        raise NotFound("No such grant.")
    require_open_delivery(bid)
    _check_version(grant, expected_version)
    unknown = [k for k in values if k not in GRANT_FIELDS]
    if unknown:
        from app.services.errors import ValidationFailed

        raise ValidationFailed({unknown[0]: ["This field cannot be changed."]})
    merged = {**grant.snapshot(), **values}
    if "amount_pence" in values and not {"funder_pence", "match_pence"} & set(values):
        # A new amount with no split given keeps the funder's share and lets the match funding take the rest.
        merged["match_pence"] = None
    clean = validate_grant(merged)
    before = {k: v for k, v in grant.snapshot().items() if clean.get(k) != v}
    if not before:
        return grant
    for key, value in clean.items():
        setattr(grant, key, value)
    grant.recipient_key = recipient_key(grant.recipient_name)
    grant.updated_at = clock.now()
    grant.updated_by_id = actor.id
    db.session.flush()
    audit.record(
        "grant.edited", actor=actor, bid=bid, subject=grant, before=before, after={k: getattr(grant, k) for k in before}
    )
    return grant


def delete_grant(actor: User, bid: Bid, grant: Grant, *, expected_version: int | None = None) -> None:
    """Delete a grant of the actor's organisation; audited with its last values."""
    _require_member(actor, bid)
    if grant.organisation_id != actor.organisation_id:
        raise NotFound("No such grant.")
    require_open_delivery(bid)
    _check_version(grant, expected_version)
    audit.record("grant.deleted", actor=actor, bid=bid, subject=grant, before=grant.snapshot())
    db.session.delete(grant)
    db.session.flush()


def _check_version(grant: Grant, expected: int | None) -> None:
    if expected is not None and expected != grant.version:
        raise StaleVersion(
            "Someone else changed this grant after you opened it. Check the values and try again.",
            current=audit.jsonable({**grant.snapshot(), "version": grant.version}),
        )


def _grant(verb: str):
    def sentence(e: audit_kinds.Entry) -> str:
        amount = e.value("amount_pence")
        figures = f" of {format_pence(amount)}" if isinstance(amount, int) else ""
        recipient = e.value("recipient_name")
        return f"{e.actor} {verb} a grant{figures}" + (f" to {recipient}." if recipient else ".")

    return sentence


audit_kinds.declare("grant.created", _grant("recorded"), title="Grant recorded")
audit_kinds.declare("grant.edited", _grant("changed"), title="Grant changed")
audit_kinds.declare("grant.deleted", _grant("deleted"), title="Grant deleted")
