"""After submission: the outcome of a bid (won, lost, withdrawn), corrected in place, and the delivery phase.

Raises ValidationFailed, InvalidTransition, StaleVersion and PermissionDenied.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from app import notifications
from app.extensions import db
from app.infra import clock
from app.infra.links import path_for
from app.models import Bid, BidOutcome, BidStatus, Pledge, Role, User
from app.models.bid import OUTCOMES
from app.money import MAX_PENCE, format_pence
from app.services import audit, audit_kinds, bids, totals
from app.services.access import is_bid_convenor
from app.services.errors import InvalidTransition, PermissionDenied, StaleVersion, require
from app.text import check_one_line

MAX_TEXT = 20_000
#: The outcome's fields, as the API and the form name them.
FIELDS = (
    "result",
    "amount_awarded_pence",
    "award_date",
    "grant_reference",
    "conditions",
    "spend_by",
    "reason",
    "feedback",
    "grants_due_by",
)


def outcome_of(bid: Bid) -> BidOutcome | None:
    return db.session.scalar(sa.select(BidOutcome).where(BidOutcome.bid_id == bid.id))


def submit_bid(actor: User, bid: Bid) -> list[str]:
    """Mark a closed bid submitted (``bids.mark_submitted``); return the scheme thresholds it does not meet, as
    sentences: a warning, not a refusal (the convenor may know the funder will accept it)."""
    bids.mark_submitted(actor, bid)
    figures = totals.compute(bid)
    return [f"{t.label}: {t.required} required, {t.actual} pledged." for t in figures.thresholds if not t.met]


def validate_outcome(values: dict[str, Any]) -> dict[str, Any]:
    """Check an outcome's values; return them cleaned, with the fields that do not apply to the result blanked."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    result = values.get("result")
    if result not in {str(o) for o in OUTCOMES}:
        errors["result"] = ["Choose won, lost or withdrawn."]
    clean["result"] = result

    def text(name: str, label: str, limit: int, *, one_line: bool = False) -> None:
        value = values.get(name)
        if value is None:
            clean[name] = ""
            return
        if not isinstance(value, str):
            errors.setdefault(name, []).append(f"The {label} must be text.")
            return
        try:
            value = check_one_line(value, label) if one_line else value.replace("\x00", "").strip()
        except ValueError as exc:
            errors.setdefault(name, []).append(str(exc))
            return
        if len(value) > limit:
            errors.setdefault(name, []).append(f"The {label} must be {limit:,} characters or fewer.")
        clean[name] = value

    def day(name: str, label: str, *, required: bool) -> None:
        value = values.get(name)
        if value is None:
            if required:
                errors.setdefault(name, []).append(f"Enter the {label}.")
            clean[name] = None
        elif not isinstance(value, date) or isinstance(value, datetime):
            errors.setdefault(name, []).append(f"Enter the {label} as a date, e.g. 2026-03-31.")
        else:
            clean[name] = value

    won = result == BidStatus.WON
    if won:
        amount = values.get("amount_awarded_pence")
        if amount is None:
            errors["amount_awarded_pence"] = ["Enter the amount awarded."]
        elif isinstance(amount, bool) or not isinstance(amount, int):
            errors["amount_awarded_pence"] = ["The amount awarded must be a whole number of pence."]
        elif amount <= 0:
            errors["amount_awarded_pence"] = ["The amount awarded must be more than £0."]
        elif amount > MAX_PENCE:
            errors["amount_awarded_pence"] = ["The amount awarded is too large."]
        else:
            clean["amount_awarded_pence"] = amount
        day("award_date", "award date", required=True)
        day("spend_by", "spend-by date", required=False)
        day("grants_due_by", "date grants are due", required=False)
        text("grant_reference", "funder's grant reference", 100, one_line=True)
        text("conditions", "conditions", MAX_TEXT)
        if clean.get("spend_by") and clean.get("award_date") and clean["spend_by"] < clean["award_date"]:
            errors.setdefault("spend_by", []).append("The spend-by date cannot be before the award date.")
    elif result in (BidStatus.LOST, BidStatus.WITHDRAWN):
        text("reason", "reason", MAX_TEXT)
        text("feedback", "funder's feedback", MAX_TEXT)
        for name in (
            "amount_awarded_pence",
            "award_date",
            "spend_by",
            "grant_reference",
            "conditions",
            "grants_due_by",
        ):
            if values.get(name) not in (None, ""):
                errors.setdefault(name, []).append("Only a won bid has an award: leave this out.")
    require(errors)
    blank = {
        "amount_awarded_pence": None,
        "award_date": None,
        "spend_by": None,
        "grants_due_by": None,
        "grant_reference": "",
        "conditions": "",
        "reason": "",
        "feedback": "",
    }
    return {**blank, **clean, "grant_reference": clean.get("grant_reference") or None}


def record_outcome(actor: User, bid: Bid, values: dict[str, Any], *, expected_version: int | None = None) -> BidOutcome:
    """Record the outcome of a submitted bid, or correct a recorded one (audited each time); members are emailed
    after commit. Lost or withdrawn releases the pledges; won opens delivery."""
    if not is_bid_convenor(actor, bid):
        raise PermissionDenied("Only the bid's convenors can record its outcome.")
    if bid.status != BidStatus.SUBMITTED and not bid.has_outcome:
        raise InvalidTransition("Record the outcome once the bid is submitted.")
    clean = validate_outcome(values)
    outcome = outcome_of(bid)
    if expected_version is not None and expected_version != (outcome.version if outcome else 0):
        raise StaleVersion(
            "Someone else recorded this outcome after you opened it. Check it and try again.",
            current=audit.jsonable(_values(outcome)) if outcome else {},
        )
    if outcome is not None and outcome.delivery_closed_at and clean["result"] != BidStatus.WON:
        raise InvalidTransition("Delivery is closed: the outcome can no longer change from won.")
    now = clock.now()
    before = _values(outcome) if outcome else None
    result = BidStatus(clean["result"])
    if result != bid.status:
        bids.move_to_outcome(actor, bid, result)
    if outcome is None:
        outcome = BidOutcome(bid_id=bid.id, recorded_by_id=actor.id, recorded_at=now)
        db.session.add(outcome)
    for key, value in clean.items():
        setattr(outcome, key, value)
    outcome.updated_at = now
    outcome.recorded_by_id = actor.id
    db.session.flush()
    _release_pledges(bid, now)
    after = _values(outcome)
    if before == after:
        return outcome
    audit.record(
        "outcome.corrected" if before else "outcome.recorded",
        actor=actor,
        bid=bid,
        subject=outcome,
        before=before,
        after=after,
    )
    _tell_members(bid, outcome, corrected=before is not None)
    return outcome


def set_delivery_open(actor: User, bid: Bid, *, open_: bool) -> BidOutcome:
    """Close delivery (grants can no longer change), or reopen it; audited."""
    if not is_bid_convenor(actor, bid):
        raise PermissionDenied("Only the bid's convenors can close delivery.")
    outcome = outcome_of(bid)
    if not bid.in_delivery or outcome is None:
        raise InvalidTransition("Only a won bid has a delivery phase.")
    if open_ == (outcome.delivery_closed_at is None):
        return outcome
    outcome.delivery_closed_at = None if open_ else clock.now()
    db.session.flush()
    audit.record("delivery.reopened" if open_ else "delivery.closed", actor=actor, bid=bid, subject=outcome)
    return outcome


def _release_pledges(bid: Bid, now: datetime) -> None:
    """Lost or withdrawn: mark the pledges released (kept as they were); won again: hold them once more."""
    if bid.pledges_released:
        db.session.execute(
            sa.update(Pledge).where(Pledge.bid_id == bid.id, Pledge.released_at.is_(None)).values(released_at=now)
        )
    else:
        db.session.execute(sa.update(Pledge).where(Pledge.bid_id == bid.id).values(released_at=None))


def _tell_members(bid: Bid, outcome: BidOutcome, *, corrected: bool) -> None:
    from app.services.notices import _member_organisations

    link = path_for("bids.show", bid_id=bid.id)
    subject = f"{'Corrected: ' if corrected else ''}{bid.title} was {outcome.result}"
    messages = []
    for _invitation, people in _member_organisations(bid).values():
        for person in people:
            if person.role != Role.MEMBER:
                continue
            messages.append(
                notifications.render(
                    person.email,
                    "outcome",
                    subject,
                    bid,
                    name=person.name,
                    outcome=outcome,
                    corrected=corrected,
                    link=link,
                    awarded=format_pence(outcome.amount_awarded_pence),
                )
            )
    notifications.queue_all(messages)


def _values(outcome: BidOutcome) -> dict[str, Any]:
    return {name: getattr(outcome, name) for name in FIELDS}


def _outcome_sentence(verb: str):
    def sentence(e: audit_kinds.Entry) -> str:
        result = e.after.get("result")
        amount = e.after.get("amount_awarded_pence")
        detail = f" (awarded {format_pence(amount)})" if result == "won" and isinstance(amount, int) else ""
        return f"{e.actor} {verb} the bid's outcome: {result or 'recorded'}{detail}."

    return sentence


audit_kinds.declare("outcome.recorded", _outcome_sentence("recorded"), title="Outcome recorded")
audit_kinds.declare("outcome.corrected", _outcome_sentence("corrected"), title="Outcome corrected")
audit_kinds.declare("bid.won", lambda e: f"{e.actor} marked the bid as won.", title="Bid won")
audit_kinds.declare("bid.lost", lambda e: f"{e.actor} marked the bid as lost.", title="Bid lost")
audit_kinds.declare("bid.withdrawn", lambda e: f"{e.actor} marked the bid as withdrawn.", title="Bid withdrawn")
audit_kinds.declare("delivery.closed", lambda e: f"{e.actor} closed delivery: grants can no longer change.")
audit_kinds.declare("delivery.reopened", lambda e: f"{e.actor} reopened delivery for grants to be recorded.")
