"""A bid's reminder plan: minutes before the deadline, parsed from what convenors type, and its slots.

Raises ValidationFailed, InvalidTransition and PermissionDenied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.infra import clock
from app.models import Bid, ReminderSlot, User
from app.services import audit
from app.services.access import is_bid_convenor
from app.services.errors import InvalidTransition, PermissionDenied, ValidationFailed

MAX_SLOTS = 10
MAX_MINUTES = 60 * 24 * 60  # 60 days
UNITS = {"d": 1440, "day": 1440, "days": 1440, "h": 60, "hr": 60, "hrs": 60, "hour": 60, "hours": 60}
UNITS |= {"m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1}
ENTRY = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*([a-z]*)$")


def parse_plan(text: str | None) -> list[int]:
    """``"7d, 2d, 24h, 2h"`` → ``[10080, 2880, 1440, 120]``. A bare number is hours. Empty means no reminders.

    Raises ValidationFailed (field ``plan``) with one message per problem; nothing is half-accepted.
    """
    errors: list[str] = []
    minutes: list[tuple[str, int]] = []
    entries = [e.strip() for e in re.split(r"[,;\n]+", (text or "").replace("\x00", "")) if e.strip()]
    for entry in entries:
        match = ENTRY.match(entry.lower())
        if match is None or (match.group(2) and match.group(2) not in UNITS):
            errors.append(f"‘{entry[:40]}’ is not a time before the deadline. Use forms like 7d, 48h or 90m.")
            continue
        number, unit = float(match.group(1)), match.group(2) or "h"
        value = number * UNITS[unit]
        if number < 0:
            errors.append(f"‘{entry}’: reminders go before the deadline, so give a positive amount (for example 2h).")
        elif value < 1:
            errors.append(f"‘{entry}’: a reminder must be at least 1 minute before the deadline.")
        elif value > MAX_MINUTES:
            errors.append(f"‘{entry}’: a reminder can be at most 60 days before the deadline.")
        elif value != int(value):
            errors.append(f"‘{entry}’ is not a whole number of minutes.")
        else:
            minutes.append((entry, int(value)))
    seen: dict[int, str] = {}
    for entry, value in minutes:
        if value in seen:
            errors.append(
                f"‘{seen[value]}’ and ‘{entry}’ are the same moment ({describe(value)} before); "
                "give each reminder once."
            )
        else:
            seen[value] = entry
    if len(entries) > MAX_SLOTS:
        errors.append(f"Give at most {MAX_SLOTS} reminders; there are {len(entries)}.")
    if errors:
        raise ValidationFailed({"plan": errors})
    return sorted(seen, reverse=True)


def validate_minutes(plan: object) -> list[int]:
    """The same rules for a list of minutes (API and services). Raises ValidationFailed."""
    if not isinstance(plan, list) or any(isinstance(m, bool) or not isinstance(m, int) for m in plan):
        raise ValidationFailed({"plan": ["The plan must be a list of whole numbers of minutes."]})
    return parse_plan(", ".join(f"{m}m" for m in plan))


def describe(minutes: int) -> str:
    """``10080`` → ``7 days``; ``90`` → ``1 hour 30 minutes``."""
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = []
    for amount, word in ((days, "day"), (hours, "hour"), (mins, "minute")):
        if amount:
            parts.append(f"{amount} {word}{'s' if amount != 1 else ''}")
    return " ".join(parts) or "0 minutes"


def as_text(plan: list[int]) -> str:
    """The form's text for a plan: ``7d, 2d, 24h, 2h`` (days from two days up, else hours, else minutes)."""
    out = []
    for minutes in plan:
        if minutes % 1440 == 0 and minutes > 1440:
            out.append(f"{minutes // 1440}d")
        elif minutes % 60 == 0:
            out.append(f"{minutes // 60}h")
        else:
            out.append(f"{minutes}m")
    return ", ".join(out)


def set_plan(actor: User, bid: Bid, plan: list[int]) -> Bid:
    """Replace the bid's plan. Slots already processed stay processed (they are keyed by their deadline)."""
    if not is_bid_convenor(actor, bid):
        raise PermissionDenied("Only the bid's convenors can change its reminders.")
    if not bid.is_editable:
        raise InvalidTransition(f"The reminders of a {bid.status} bid cannot be changed.")
    clean = validate_minutes(plan)
    before = list(bid.reminder_plan or [])
    if clean == before:
        return bid
    bid.reminder_plan = clean
    db.session.flush()
    _skip_passed(bid, [m for m in clean if m not in before])
    audit.record("bid.reminder_plan", actor=actor, bid=bid, subject=bid, before={"plan": before}, after={"plan": clean})
    return bid


def _skip_passed(bid: Bid, added: list[int]) -> None:
    """A slot added after its moment is recorded as skipped, not sent at once (the plan applies from now)."""
    now = clock.now()
    passed = [Slot(m, bid.deadline) for m in added if Slot(m, bid.deadline).moment <= now]
    if not passed:
        return
    known = set(
        db.session.scalars(
            sa.select(ReminderSlot.slot).where(
                ReminderSlot.bid_id == bid.id, ReminderSlot.slot.in_([s.key for s in passed])
            )
        )
    )
    for slot in passed:
        if slot.key not in known:
            db.session.add(
                ReminderSlot(
                    bid_id=bid.id,
                    slot=slot.key,
                    outcome="skipped",
                    note="Added to the plan after its moment had passed, so it was not sent. "
                    "Use ‘Send a reminder now’ to remind people today.",
                    created_at=now,
                )
            )
    db.session.flush()


# -- slots -----------------------------------------------------------------------------------------------


def deadline_key(deadline: datetime) -> str:
    return deadline.strftime("%Y-%m-%dT%H:%M:%SZ")


def slot_key(minutes: int, deadline: datetime) -> str:
    """The key a planned reminder is claimed under: a new deadline gives new keys, so it re-plans."""
    return f"plan:{minutes}@{deadline_key(deadline)}"


@dataclass(frozen=True)
class Slot:
    minutes: int
    deadline: datetime

    @property
    def key(self) -> str:
        return slot_key(self.minutes, self.deadline)

    @property
    def moment(self) -> datetime:
        return self.deadline - timedelta(minutes=self.minutes)


def due_slots(deadline: datetime, plan: list[int] | None, now: datetime) -> list[Slot]:
    """The planned slots (minutes before ``deadline``) whose moment has come, earliest moment first."""
    slots = [Slot(m, deadline) for m in (plan or [])]
    return sorted((s for s in slots if s.moment <= now), key=lambda s: s.moment)


def skip_reason(slot: Slot, due: list[Slot], now: datetime) -> str | None:
    """Why a due slot should not be sent now (after an outage, a late opening or an extension), or None.

    A reminder still makes sense while at least half of its window remains: "24 hours left" is fine with
    13 hours left, not with 3. Of several due slots only the latest is sent; the earlier ones are superseded.
    """
    left = slot.deadline - now
    if left <= timedelta(0):
        return "The deadline had passed when this reminder came up, so it was not sent."
    if left < timedelta(minutes=slot.minutes) / 2:
        return (
            f"Only {describe(max(1, int(left.total_seconds() // 60)))} was left when this "
            f"{describe(slot.minutes)} reminder came up, so it was not sent."
        )
    later = [s for s in due if s.moment > slot.moment and skip_reason_basic(s, now) is None]
    if later:
        return f"Superseded by the {describe(later[-1].minutes)} reminder due at the same time."
    return None


def skip_reason_basic(slot: Slot, now: datetime) -> str | None:
    left = slot.deadline - now
    if left <= timedelta(0) or left < timedelta(minutes=slot.minutes) / 2:
        return "late"
    return None
