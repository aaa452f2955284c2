"""Reminders for returns: before and after the due date, only to organisations that have not submitted, exactly
once per organisation, period and step; and the convenor's one-click reminder to the missing.

Exactly once: each reminder is claimed by a ReturnReminder row under a unique (period, organisation, step)
constraint, in the transaction that queues its email; a step's claims are written in one SAVEPOINT (one INSERT
for the emails, rendered together, and one for the claims: app.infra.claims), and if one clashes (another
scheduler got there first) each is claimed in its own SAVEPOINT, skipping the clash. After an outage, a step
whose moment passed while a later step is also due is recorded as skipped (the later one is sent), as the bid
reminders do; a step for a locked period is skipped.

Raises PermissionDenied (manual sends).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa

from app import notifications
from app.extensions import db
from app.infra import claims, clock, sweeps, units
from app.infra.links import path_for
from app.models import COUNTED, ImpactReturn, Participant, Period, Programme, ReturnReminder, User
from app.notifications.bulk import Letter, render_many
from app.services import audit, audit_kinds
from app.services.errors import PermissionDenied
from app.services.returns import aggregates
from app.services.returns.programmes import is_convenor

log = logging.getLogger(__name__)


def step_moment(period: Period, days: int) -> datetime:
    return period.due_at + timedelta(days=days)


def due_steps(period: Period, plan: list[int], now: datetime) -> list[int]:
    """The plan's steps whose moment has come, in order."""
    return [d for d in sorted(plan) if step_moment(period, d) <= now]


def skip_reason(period: Period, step: int, due: list[int], now: datetime) -> str | None:
    if period.lock_at is not None and now >= period.lock_at:
        return "The period had locked before this reminder could be sent."
    if step != due[-1]:
        return "A later reminder was due by the time this one could be sent, so only that one went."
    return None


def not_submitted(period: Period) -> list[tuple[int, str, str]]:
    """(organisation id, person's email, name) for every organisation taking part and expected for the period
    (see ``aggregates.expected_at``) with no submitted return: one query."""
    counted = sa.select(ImpactReturn.organisation_id).where(
        ImpactReturn.period_id == period.id, ImpactReturn.status.in_(COUNTED)
    )
    rows = db.session.execute(
        sa.select(Participant.organisation_id, User.email, User.name)
        .join(User, User.organisation_id == Participant.organisation_id)
        .where(
            Participant.programme_id == period.programme_id,
            Participant.removed_at.is_(None),
            aggregates.expected_at(period.due_at),
            Participant.organisation_id.not_in(counted),
            User.is_enabled.is_(True),
        )
        .order_by(Participant.organisation_id, User.is_manager.desc(), User.id)
    ).all()
    first: dict[int, tuple[int, str, str]] = {}
    for org_id, email, name in rows:
        first.setdefault(org_id, (org_id, email, name))  # one person per organisation: its manager first
    return list(first.values())


def send_due(now: datetime | None = None) -> dict:
    """Send every planned return reminder that is due and not yet claimed; one unit of work per period."""
    now = now or clock.now()
    found = db.session.execute(
        sa.select(Period.id, Programme.reminder_plan).join(Programme, Programme.id == Period.programme_id)
    ).all()
    todo = [pid for pid, plan in found if plan]
    units.end_read()
    counts = {"return_reminders_sent": 0, "return_reminders_skipped": 0}

    def remind(period_id: int) -> tuple[int, int]:
        period = db.session.get(Period, period_id)
        due = due_steps(period, period.programme.reminder_plan or [], now)
        if not due:
            return 0, 0
        claimed = {
            (o, s)
            for o, s in db.session.execute(
                sa.select(ReturnReminder.organisation_id, ReturnReminder.step).where(
                    ReturnReminder.period_id == period.id
                )
            )
        }
        sent = skipped = 0
        chased = not_submitted(period)
        for step in due:
            reason = skip_reason(period, step, due, now)
            todo = [person for person in chased if (person[0], str(step)) not in claimed]
            done = len(claim_all(period, str(step), todo, now, skip=reason))
            sent += done if reason is None else 0
            skipped += done if reason is not None else 0
        return sent, skipped

    for _pid, (sent, skipped) in units.each(todo, remind, what="return reminders for period"):
        counts["return_reminders_sent"] += sent
        counts["return_reminders_skipped"] += skipped
    return counts


@sweeps.step("return reminders", order=12)
def _sweep_step() -> dict:
    return send_due()


def claim_all(
    period: Period, step: str, people: list[tuple[int, str, str]], now: datetime, *, skip: str | None
) -> list[tuple[int, str, str]]:
    """Claim (period, organisation, step) for each (organisation id, email, name) and queue the emails, in one
    SAVEPOINT (one by one if a claim clashes). Returns the people claimed; ``skip`` records them as skipped."""

    def write(batch: list[tuple[int, str, str]]) -> None:
        email_ids = notifications.queue_rows(_render_all(period, batch, now)) if skip is None else []
        rows = [
            {
                "period_id": period.id,
                "organisation_id": org_id,
                "step": step,
                "outcome": "skipped" if skip else "sent",
                "note": skip,
                "email_id": email_ids[i] if email_ids else None,
                "created_at": now,
            }
            for i, (org_id, _email, _name) in enumerate(batch)
        ]
        db.session.execute(sa.insert(ReturnReminder.__table__), rows)

    return claims.in_batch(people, write, what=f"return reminder {step} for period {period.id}")


def _render_all(period: Period, people: list[tuple[int, str, str]], now: datetime) -> list[dict]:
    programme = period.programme
    overdue = now >= period.due_at
    subject = (
        f"Overdue: your {period.key} return to {programme.title}"
        if overdue
        else f"Reminder: your {period.key} return to {programme.title} is due soon"
    )
    return render_many(
        "return_reminder",
        None,
        [Letter(email, subject, {"name": name}) for _org_id, email, name in people],
        programme=programme,
        period=period,
        overdue=overdue,
        due=clock.format_uk(period.due_at - timedelta(seconds=1), with_time=False),
        link=path_for("returns.edit_return", programme_id=programme.id, key=period.key),
    )


def send_to_missing(actor: User, programme: Programme, period: Period) -> int:
    """The convenor's one-click reminder to every organisation that has not submitted ``period``."""
    if not is_convenor(actor, programme):
        raise PermissionDenied("Only the convening body's convenors can send reminders.")
    now = clock.now()
    step = f"manual-{uuid.uuid4().hex}"
    sent = len(claim_all(period, step, not_submitted(period), now, skip=None))
    audit.record("return.reminders_sent", actor=actor, subject=period, after={"period": period.key, "sent": sent})
    return sent


audit_kinds.declare(
    "return.reminders_sent",
    lambda e: f"{e.actor} sent {e.after.get('sent', 0):,} reminders for the {e.after.get('period', '')} returns.",
    title="Return reminders sent",
)
