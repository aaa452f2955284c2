"""The convenor's side of returns: accept or query a submitted return, reopen a locked period for one
organisation (a lock exception), audited.

Raises ValidationFailed, Conflict, NotFound and PermissionDenied.
"""

from __future__ import annotations

from datetime import date, time

from app.extensions import db
from app.infra import clock
from app.models import ImpactReturn, LockException, Participant, Period, Programme, ReturnRevision, ReturnStatus, User
from app.services import audit, audit_kinds
from app.services.errors import Conflict, NotFound, PermissionDenied, require
from app.services.returns.programmes import is_convenor
from app.text import check_one_line

MAX_NOTE = 2000


def get_return(actor: User, programme: Programme, return_id: int) -> ImpactReturn:
    if not is_convenor(actor, programme):
        raise PermissionDenied("Only the convening body's convenors can review returns.")
    ret = db.session.get(ImpactReturn, return_id)
    if ret is None or ret.programme_id != programme.id:
        raise NotFound("No such return.")
    return ret


def _change(actor: User, ret: ImpactReturn, action: str, status: ReturnStatus, note: str | None) -> ImpactReturn:
    before = ret.snapshot()
    ret.status = status
    if status == ReturnStatus.QUERIED:
        ret.query_note = note
    db.session.flush()
    after = {**ret.snapshot(), **({"note": note} if note else {})}
    db.session.add(
        ReturnRevision(
            return_id=ret.id,
            version=ret.version,
            action=action,
            actor_id=actor.id,
            created_at=clock.now(),
            before=before,
            after=after,
        )
    )
    audit.record(
        f"return.{action}", actor=actor, organisation_id=actor.organisation_id, subject=ret, before=before, after=after
    )
    return ret


def accept(actor: User, programme: Programme, return_id: int) -> ImpactReturn:
    ret = get_return(actor, programme, return_id)
    if ret.status != ReturnStatus.SUBMITTED:
        raise Conflict("Only a submitted return can be accepted.")
    return _change(actor, ret, "accepted", ReturnStatus.ACCEPTED, None)


def query(actor: User, programme: Programme, return_id: int, note: str) -> ImpactReturn:
    """Reopen a submitted (or accepted) return to the organisation with the convenor's note."""
    ret = get_return(actor, programme, return_id)
    note = (note or "").strip() if isinstance(note, str) else ""
    if not note or len(note) > MAX_NOTE:
        require({"note": [f"Say what the organisation should check (up to {MAX_NOTE:,} characters)."]})
    if ret.status not in (ReturnStatus.SUBMITTED, ReturnStatus.ACCEPTED):
        raise Conflict("Only a submitted or accepted return can be queried.")
    return _change(actor, ret, "queried", ReturnStatus.QUERIED, note)


def add_lock_exception(
    actor: User, programme: Programme, period: Period, organisation_id: int | None, reason: str, end_day: date | None
) -> LockException:
    """Reopen ``period`` for one organisation until the end of ``end_day`` (UK time)."""
    if not is_convenor(actor, programme):
        raise PermissionDenied("Only the convening body's convenors can reopen a period.")
    errors: dict[str, list[str]] = {}
    taking_part = (
        organisation_id is not None
        and db.session.query(Participant.id)
        .filter_by(programme_id=programme.id, organisation_id=organisation_id, removed_at=None)
        .first()
    )
    if not taking_part:
        errors["organisation_id"] = ["Choose an organisation taking part in the programme."]
    try:
        reason = check_one_line(reason or "", "reason")
        if not reason or len(reason) > 500:
            raise ValueError("Give a reason of up to 500 characters.")
    except ValueError as exc:
        errors["reason"] = [str(exc)]
    now = clock.now()
    ends_at = None
    if end_day is None:
        errors["end_date"] = ["Choose the last day the organisation may change its return."]
    else:
        from datetime import timedelta

        ends_at = clock.from_london(end_day + timedelta(days=1), time(0, 0))
        if ends_at <= now:
            errors["end_date"] = ["Choose an end date from today on."]
    require(errors)
    exception = LockException(
        period_id=period.id,
        organisation_id=organisation_id,
        reason=reason,
        ends_at=ends_at,
        created_by_id=actor.id,
        created_at=now,
    )
    db.session.add(exception)
    db.session.flush()
    audit.record(
        "return.lock_exception",
        actor=actor,
        subject=exception,
        after={
            "period": period.key,
            "organisation_id": organisation_id,
            "reason": reason,
            "ends_at": ends_at.isoformat(),
        },
    )
    return exception


audit_kinds.declare(
    "return.lock_exception",
    lambda e: f"{e.actor} reopened the {e.after.get('period', '')} return for {e.organisation or 'an organisation'}.",
    title="Locked return reopened",
)
