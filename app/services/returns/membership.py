"""Changing who takes part after set-up: the convenor adds organisations from the directory or removes them.

An organisation added later is expected (counted as missing, and reminded) only for periods due after it was
added; one removed is expected for nothing due after its removal, gets no more reminders and no longer sees the
programme, and its returns stay as history in every total. Adding a removed organisation back makes it expected
again from that moment. Every change is audited.

Raises PermissionDenied, NotFound and ValidationFailed.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.infra import clock
from app.models import Organisation, Participant, Programme, User
from app.services import audit, audit_kinds
from app.services.errors import NotFound, PermissionDenied, require
from app.services.returns.participants import candidate_organisations
from app.services.returns.programmes import is_convenor

MAX_AT_ONCE = 500


def roll(programme: Programme) -> list[tuple[Participant, str]]:
    """Every participant, active or removed, with its organisation's name: active first, then by name."""
    rows = db.session.execute(
        sa.select(Participant, Organisation.name)
        .join(Organisation, Organisation.id == Participant.organisation_id)
        .where(Participant.programme_id == programme.id)
        .order_by(Participant.removed_at.is_not(None), Organisation.name_key, Organisation.id)
    ).all()
    return [(p, name) for p, name in rows]


def addable(programme: Programme) -> list[Organisation]:
    """The directory's member organisations not taking part now (including those removed earlier)."""
    active = set(
        db.session.scalars(
            sa.select(Participant.organisation_id).where(
                Participant.programme_id == programme.id, Participant.removed_at.is_(None)
            )
        )
    )
    return [o for o in candidate_organisations(programme.organisation_id) if o.id not in active]


def add_participants(actor: User, programme: Programme, organisation_ids: object) -> list[int]:
    """Add organisations from the body's directory; those removed earlier take part again. Returns the ids
    added. Nothing is saved when any id is not one of the directory's member organisations or already taking part."""
    if not is_convenor(actor, programme):
        raise PermissionDenied("Only the convening body's convenors can change who takes part.")
    ids = organisation_ids if isinstance(organisation_ids, list) else None
    if not ids or any(not isinstance(i, int) or isinstance(i, bool) for i in ids):
        require({"organisation_ids": ["Choose the organisations to add."]})
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_AT_ONCE:
        require({"organisation_ids": [f"Add at most {MAX_AT_ONCE} organisations at once."]})
    allowed = {o.id for o in addable(programme)}
    refused = [i for i in ids if i not in allowed]
    if refused:
        listed = ", ".join(map(str, refused[:10]))
        message = f"Choose organisations from your directory with an account that are not taking part (not: {listed})."
        require({"organisation_ids": [message]})
    now = clock.now()
    earlier = {
        p.organisation_id: p
        for p in db.session.scalars(
            sa.select(Participant).where(Participant.programme_id == programme.id, Participant.organisation_id.in_(ids))
        )
    }
    for org_id in ids:
        found = earlier.get(org_id)
        if found is None:
            db.session.add(
                Participant(programme_id=programme.id, organisation_id=org_id, added_at=now, expected_from=now)
            )
        else:
            found.removed_at, found.expected_from = None, now
    db.session.flush()
    audit.record(
        "programme.participants_added",
        actor=actor,
        subject=programme,
        after={"organisations": ids, "rejoined": sorted(set(ids) & set(earlier)), "expected_from": now.isoformat()},
    )
    return ids


def remove_participant(actor: User, programme: Programme, organisation_id: int) -> Participant:
    """Stop an organisation taking part from now: its returns stay, periods due later expect nothing from it."""
    if not is_convenor(actor, programme):
        raise PermissionDenied("Only the convening body's convenors can change who takes part.")
    found = db.session.scalar(
        sa.select(Participant).where(
            Participant.programme_id == programme.id, Participant.organisation_id == organisation_id
        )
    )
    if found is None or found.removed_at is not None:
        raise NotFound("That organisation is not taking part in the programme.")
    active = db.session.scalar(
        sa.select(sa.func.count(Participant.id)).where(
            Participant.programme_id == programme.id, Participant.removed_at.is_(None)
        )
    )
    if active <= 1:
        require({"organisation_id": ["A programme needs at least one organisation taking part."]})
    found.removed_at = clock.now()
    db.session.flush()
    audit.record(
        "programme.participant_removed",
        actor=actor,
        subject=programme,
        after={"organisation_id": organisation_id, "removed_at": found.removed_at.isoformat()},
    )
    return found


audit_kinds.declare(
    "programme.participants_added",
    lambda e: f"{e.actor} added {len(e.after.get('organisations', [])):,} organisations to the returns programme.",
    title="Organisations added to a programme",
)
audit_kinds.declare(
    "programme.participant_removed",
    lambda e: f"{e.actor} removed an organisation from the returns programme (its returns are kept).",
    title="Organisation removed from a programme",
)
