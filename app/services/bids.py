"""Bids: create, edit, and move through the lifecycle.

Raises ValidationFailed, InvalidTransition, StaleVersion and PermissionDenied.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.extensions import db
from app.infra import clock
from app.models import Bid, BidStatus, User
from app.money import MAX_PENCE
from app.services import audit, invitation_links, notices
from app.services.access import is_bid_convenor
from app.services.errors import InvalidTransition, PermissionDenied, StaleVersion, ValidationFailed, require
from app.text import check_one_line

#: Fields a convenor sets, with what they mean for the audit log.
EDITABLE = (
    "title",
    "funder_name",
    "scheme",
    "summary",
    "terms",
    "target_pence",
    "target_homes",
    "min_pledge_pence",
    "min_total_pence",
    "min_members",
    "show_amounts",
    "grace_minutes",
    "deadline",
)
#: Fields that may change while the bid is open (the deadline moves only by extending).
EDITABLE_WHILE_OPEN = tuple(f for f in EDITABLE if f != "deadline")
MAX_TEXT = 20_000
MAX_HOMES = 50_000_000


def validate_bid_values(values: dict[str, Any], *, now: datetime, partial: bool = False) -> dict[str, Any]:
    """Check bid values; return them cleaned. Raises ValidationFailed with a message per field."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}

    def text(name: str, label: str, *, required: bool, limit: int, single_line: bool = False) -> None:
        if name not in values:
            if required and not partial:
                errors.setdefault(name, []).append(f"Enter the {label}.")
            return
        value = values[name]
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.setdefault(name, []).append(f"The {label} must be text.")
            return
        if single_line:  # a title or name is one line: line breaks, control and bidi characters are refused
            try:
                value = check_one_line(value, label)
            except ValueError as exc:
                errors.setdefault(name, []).append(str(exc))
                return
        else:
            value = value.replace("\x00", "").strip()
        if required and not value:
            errors.setdefault(name, []).append(f"Enter the {label}.")
        elif len(value) > limit:
            errors.setdefault(name, []).append(f"The {label} must be {limit:,} characters or fewer.")
        else:
            clean[name] = value

    def whole(name: str, label: str, *, required: bool, low: int, high: int, message_low: str) -> None:
        if name not in values or values[name] is None:
            if required and not partial:
                errors.setdefault(name, []).append(f"Enter the {label}.")
            elif name in values:
                clean[name] = None
            return
        value = values[name]
        if isinstance(value, bool) or not isinstance(value, int):
            errors.setdefault(name, []).append(f"The {label} must be a whole number.")
        elif value < low:
            errors.setdefault(name, []).append(message_low)
        elif value > high:
            errors.setdefault(name, []).append(f"The {label} is too large.")
        else:
            clean[name] = value

    text("title", "title", required=True, limit=200, single_line=True)
    text("funder_name", "funder's name", required=True, limit=200, single_line=True)
    text("scheme", "scheme name", required=True, limit=200, single_line=True)
    text("summary", "case for the bid", required=False, limit=MAX_TEXT)
    text("terms", "terms members must accept", required=False, limit=MAX_TEXT)
    whole(
        "target_pence", "target", required=True, low=1, high=MAX_PENCE, message_low="The target must be more than £0."
    )
    whole("target_homes", "target homes", required=True, low=0, high=MAX_HOMES, message_low="Homes cannot be negative.")
    whole(
        "min_pledge_pence",
        "minimum pledge",
        required=False,
        low=1,
        high=MAX_PENCE,
        message_low="The minimum pledge must be more than £0.",
    )
    whole(
        "min_total_pence",
        "minimum total",
        required=False,
        low=1,
        high=MAX_PENCE,
        message_low="The minimum total must be more than £0.",
    )
    whole(
        "min_members",
        "minimum number of members",
        required=False,
        low=1,
        high=100_000,
        message_low="The minimum number of members must be at least 1.",
    )
    whole(
        "grace_minutes",
        "grace window",
        required=False,
        low=0,
        high=1440,
        message_low="The grace window cannot be negative.",
    )
    if "show_amounts" in values:
        if not isinstance(values["show_amounts"], bool):
            errors.setdefault("show_amounts", []).append("Choose whether members see other organisations' amounts.")
        else:
            clean["show_amounts"] = values["show_amounts"]
    if "deadline" in values:
        deadline = values["deadline"]
        if not isinstance(deadline, datetime) or deadline.tzinfo is None:
            errors.setdefault("deadline", []).append("Enter the deadline as a date and time.")
        elif deadline <= now:
            errors.setdefault("deadline", []).append("The deadline must be in the future.")
        else:
            clean["deadline"] = deadline
    elif not partial:
        errors.setdefault("deadline", []).append("Enter the deadline as a date and time.")
    target = clean.get("target_pence")
    minimum = clean.get("min_pledge_pence")
    if target and minimum and minimum > target:
        errors.setdefault("min_pledge_pence", []).append("The minimum pledge cannot be more than the target.")
    require(errors)
    return clean


def create_bid(actor: User, values: dict[str, Any], *, open_now: bool = False) -> Bid:
    """A new bid owned by the actor's convening body, as a draft or opened at once."""
    if not actor.is_convenor:
        raise PermissionDenied("Only convenors can open bids.")
    now = clock.now()
    clean = validate_bid_values(values, now=now)
    bid = Bid(organisation_id=actor.organisation_id, created_by_id=actor.id, status=BidStatus.DRAFT, **clean)
    db.session.add(bid)
    db.session.flush()
    audit.record("bid.created", actor=actor, bid=bid, subject=bid, after=_values(bid))
    if open_now:
        open_bid(actor, bid)
    return bid


def update_bid(actor: User, bid: Bid, values: dict[str, Any], *, expected_version: int | None = None) -> Bid:
    """Edit a draft or open bid. While open the deadline moves only by ``extend_deadline``."""
    _require_convenor(actor, bid)
    if not bid.is_editable:
        raise InvalidTransition(f"{_a(bid.status)} bid cannot be edited.")
    if expected_version is not None and expected_version != bid.version:
        raise StaleVersion(
            "Someone else changed this bid after you opened it. Check the values and try again.", current=_values(bid)
        )
    allowed = EDITABLE if bid.status == BidStatus.DRAFT else EDITABLE_WHILE_OPEN
    unknown = [k for k in values if k not in allowed]
    if unknown:
        field = unknown[0]
        message = (
            "Use ‘Extend the deadline’ to move the deadline of an open bid."
            if field == "deadline"
            else "This field cannot be changed."
        )
        raise ValidationFailed({field: [message]})
    merged = {**_values(bid, raw=True), **values}
    if "deadline" not in values:
        merged.pop("deadline")
    clean = validate_bid_values(merged, now=clock.now(), partial=True)
    clean = {k: v for k, v in clean.items() if k in values}
    before = {k: getattr(bid, k) for k in clean if getattr(bid, k) != clean[k]}
    if not before:
        return bid
    for key, value in clean.items():
        setattr(bid, key, value)
    db.session.flush()
    if "deadline" in before or "grace_minutes" in before:
        invitation_links.keep_until_deadline(bid)
    audit.record(
        "bid.edited", actor=actor, bid=bid, subject=bid, before=before, after={k: getattr(bid, k) for k in before}
    )
    if bid.is_open:
        audit.emit(bid, "bid.edited", {"fields": sorted(before)})
    return bid


def open_bid(actor: User, bid: Bid) -> Bid:
    _require_convenor(actor, bid)
    now = clock.now()
    if bid.deadline <= now:
        raise ValidationFailed({"deadline": ["The deadline has passed: set a later deadline before opening."]})
    _move(actor, bid, BidStatus.OPEN)
    bid.opened_at = bid.opened_at or now
    return bid


def close_bid(actor: User | None, bid: Bid, *, reason: str = "early") -> Bid:
    """Close an open bid, by a convenor (early) or by the scheduler at the deadline (actor None).

    Queues the convenors' closing summary and the members' closing note in the same transaction.
    """
    if actor is not None:
        _require_convenor(actor, bid)
    _move(actor, bid, BidStatus.CLOSED, extra={"reason": reason}, closed_at=clock.now())
    notices.bid_closed(bid, reason=reason)
    return bid


def cancel_bid(actor: User, bid: Bid) -> Bid:
    _require_convenor(actor, bid)
    _move(actor, bid, BidStatus.CANCELLED)
    bid.cancelled_at = clock.now()
    return bid


def restore_bid(actor: User, bid: Bid) -> Bid:
    """Bring a cancelled bid back as a draft (audited as ``bid.restored``); the convenor opens it again."""
    _require_convenor(actor, bid)
    _move(actor, bid, BidStatus.DRAFT)
    bid.cancelled_at = None
    return bid


def mark_submitted(actor: User, bid: Bid) -> Bid:
    _require_convenor(actor, bid)
    _move(actor, bid, BidStatus.SUBMITTED)
    bid.submitted_at = clock.now()
    return bid


def move_to_outcome(actor: User, bid: Bid, result: BidStatus) -> Bid:
    """Move a submitted bid to its outcome, or one outcome to another (a correction): TRANSITIONS decides.
    Called by ``app.services.outcomes.record_outcome``, which records the outcome's details and audits them."""
    _require_convenor(actor, bid)
    _move(actor, bid, result)
    return bid


def extend_deadline(actor: User, bid: Bid, new_deadline: datetime) -> Bid:
    """Move an open bid's deadline later, or reopen a closed bid with a new deadline.

    Tells every invitee and member, and re-plans the reminders against the new deadline.
    """
    _require_convenor(actor, bid)
    now = clock.now()
    if not bid.can_extend:
        raise InvalidTransition(f"The deadline of {_a(bid.status).lower()} bid cannot be changed.")
    if not isinstance(new_deadline, datetime) or new_deadline.tzinfo is None:
        raise ValidationFailed({"deadline": ["Enter the new deadline as a date and time."]})
    if new_deadline <= now:
        raise ValidationFailed({"deadline": ["The new deadline must be in the future."]})
    if bid.is_open and new_deadline <= bid.deadline:
        raise ValidationFailed({"deadline": ["The new deadline must be later than the current one."]})
    old = bid.deadline
    reopening = bid.status == BidStatus.CLOSED
    bid.deadline = new_deadline
    if reopening:
        _move(actor, bid, BidStatus.OPEN, extra={"reason": "reopened"})
        bid.closed_at = None
    db.session.flush()
    action = "bid.reopened" if reopening else "bid.extended"
    audit.record(action, actor=actor, bid=bid, subject=bid, before={"deadline": old}, after={"deadline": new_deadline})
    audit.emit(bid, action, {"deadline": new_deadline.isoformat(), "previous": old.isoformat()})
    invitation_links.keep_until_deadline(bid)  # before the notices: they go to everyone whose link still works
    notices.deadline_changed(bid, previous=old, reopened=reopening)
    return bid


def _move(actor: User | None, bid: Bid, status: BidStatus, extra: dict | None = None, **changes) -> None:
    """Move the bid to ``status`` (with any other column ``changes``, written in the same UPDATE), audited."""
    if not bid.can_move_to(status):
        raise InvalidTransition(f"{_a(bid.status)} bid cannot become {status}.")
    previous = bid.status
    bid.status = status
    for column, value in changes.items():
        setattr(bid, column, value)
    db.session.flush()
    audit.record(
        f"bid.{_VERB[status]}",
        actor=actor,
        bid=bid,
        subject=bid,
        organisation_id=bid.organisation_id if actor is None else None,
        before={"status": str(previous)},
        after={"status": str(status), **(extra or {})},
    )
    audit.emit(bid, "bid.status", {"status": str(status), "previous": str(previous), **(extra or {})})


_VERB = {
    BidStatus.OPEN: "opened",
    BidStatus.CLOSED: "closed",
    BidStatus.CANCELLED: "cancelled",
    BidStatus.SUBMITTED: "submitted",
    BidStatus.DRAFT: "restored",  # the only way back to a draft is restoring a cancelled bid
    BidStatus.WON: "won",
    BidStatus.LOST: "lost",
    BidStatus.WITHDRAWN: "withdrawn",
}


def _a(status: BidStatus) -> str:
    """``An open`` or ``A closed``: the status with its article, for messages."""
    return f"{'An' if str(status)[0] in 'aeiou' else 'A'} {status}"


def _require_convenor(actor: User, bid: Bid) -> None:
    if not is_bid_convenor(actor, bid):
        raise PermissionDenied("Only the bid's convenors can do that.")


def _values(bid: Bid, *, raw: bool = False) -> dict[str, Any]:
    return {k: getattr(bid, k) for k in EDITABLE}
