"""Members' returns: the form's rules (0 vs not collected, comments, the story), saving a draft or submitting,
amending until the lock with revisions and optimistic locking, lock exceptions, outlier warnings.

The clock decides on every write (``clock.received_at``): from the due moment a first submission is marked late,
from the lock moment every write is refused unless a lock exception for the organisation is open.

Raises ValidationFailed, OutliersFound, ReturnLocked, StaleVersion, NotFound and PermissionDenied.
"""

from __future__ import annotations

from datetime import datetime
from statistics import mean
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.infra import clock
from app.models import (
    COUNTED,
    ImpactReturn,
    LockException,
    MeasureUnit,
    Period,
    Programme,
    ReturnRevision,
    ReturnStatus,
    User,
)
from app.services import audit
from app.services.errors import Conflict, PermissionDenied, StaleVersion, ValidationFailed, require
from app.services.returns.programmes import is_participant

MAX_STORY, MAX_COMMENT = 5000, 500
#: the largest figure one organisation may report for one measure in one period (£10bn in pence)
MAX_VALUE = 10**12
#: a figure more than this many times, or under one over this, the mean of the last three is an outlier
OUTLIER_FACTOR = 5


class ReturnLocked(Conflict):
    """The period's returns have locked and no lock exception is open for the organisation."""

    type_slug = "return-locked"
    title = "This return is locked"


class OutliersFound(ValidationFailed):
    """Figures far outside the organisation's own history: the member confirms them (``warnings``)."""

    type_slug = "outliers"
    title = "Please confirm these figures"

    def __init__(self, warnings: dict[str, list[str]]):
        super().__init__(warnings, "Some figures are far from your last three months: check them and confirm.")
        self.warnings = warnings


def current_return(period: Period, organisation_id: int) -> ImpactReturn | None:
    return db.session.scalar(
        sa.select(ImpactReturn).where(
            ImpactReturn.period_id == period.id, ImpactReturn.organisation_id == organisation_id
        )
    )


def open_exception(period: Period, organisation_id: int, now: datetime) -> LockException | None:
    return db.session.scalar(
        sa.select(LockException)
        .where(
            LockException.period_id == period.id,
            LockException.organisation_id == organisation_id,
            LockException.ends_at > now,
        )
        .order_by(LockException.ends_at.desc())
        .limit(1)
    )


def is_locked(period: Period, organisation_id: int, now: datetime) -> bool:
    if period.lock_at is None or now < period.lock_at:
        return False
    return open_exception(period, organisation_id, now) is None


def status_for(period: Period, ret: ImpactReturn | None, organisation_id: int, now: datetime) -> str:
    """not started, draft, submitted, queried, accepted, locked or late, for the member's list."""
    if ret is not None and ret.status in COUNTED:
        return str(ret.status)
    if is_locked(period, organisation_id, now):
        return "locked"
    if ret is not None and ret.status == ReturnStatus.QUERIED:
        return "queried"
    if now >= period.due_at:
        return "late"
    return "draft" if ret is not None else "not started"


def check_values(
    period: Period, values: object, comments: object, story: object, *, submit: bool
) -> tuple[dict[str, int | None], dict[str, str], str]:
    """The values, comments and story as clean data; ValidationFailed names each bad field
    (``values.CODE``, ``comments.CODE``, ``story``, ``values`` for unknown codes)."""
    measures = {m.code: m for m in period.measure_set.measures}
    errors: dict[str, list[str]] = {}
    values = values if isinstance(values, dict) else None
    comments = comments if isinstance(comments, dict) else ({} if comments is None else None)
    if values is None:
        errors["values"] = ["Give the figures as an object of measure code to whole number or null."]
        values = {}
    if comments is None:
        errors["comments"] = ["Give the comments as an object of measure code to text."]
        comments = {}
    unknown = sorted(str(c) for c in list(values) + list(comments) if c not in measures)
    if unknown:
        errors["values"] = [f"Unknown measure code: {', '.join(unknown[:5])}."]
    clean: dict[str, int | None] = {}
    clean_comments: dict[str, str] = {}
    for code, measure in measures.items():
        raw = values.get(code)
        field = f"values.{code}"
        if raw is None:
            clean[code] = None
        elif isinstance(raw, bool) or not isinstance(raw, int):
            hint = {
                MeasureUnit.PENCE: "a whole number of pence",
                MeasureUnit.FTE: "a whole number of tenths of a full-time post",
            }.get(measure.unit, "a whole number")
            errors[field] = [f"{measure.label}: enter {hint}, or mark it not collected."]
        elif raw < 0:
            errors[field] = [f"{measure.label} cannot be negative."]
        elif raw > MAX_VALUE:
            errors[field] = [f"{measure.label} is too large: check the figure."]
        else:
            clean[code] = raw
        note = comments.get(code)
        if note is not None and (not isinstance(note, str) or len(note) > MAX_COMMENT):
            errors[f"comments.{code}"] = [f"A comment is text of at most {MAX_COMMENT} characters."]
        elif note and note.strip():
            clean_comments[code] = note.strip()
        if submit and measure.required and code in clean and clean[code] is None and not clean_comments.get(code):
            errors[f"comments.{code}"] = [
                f"{measure.label} is required: give the figure, or say why it was not collected."
            ]
    if story is None:
        story = ""
    if not isinstance(story, str):
        errors["story"] = ["The story is text."]
        story = ""
    elif len(story) > MAX_STORY:
        errors["story"] = [f"The story is at most {MAX_STORY:,} characters (it has {len(story):,})."]
    require(errors)
    return clean, clean_comments, story.strip()


def outliers(period: Period, organisation_id: int, values: dict[str, int | None]) -> dict[str, list[str]]:
    """Figures more than 5× or under a fifth of the mean of the organisation's last three returns."""
    earlier = db.session.scalars(
        sa.select(ImpactReturn)
        .join(Period, Period.id == ImpactReturn.period_id)
        .where(
            ImpactReturn.programme_id == period.programme_id,
            ImpactReturn.organisation_id == organisation_id,
            ImpactReturn.status.in_(COUNTED),
            Period.start_month < period.start_month,
        )
        .order_by(Period.start_month.desc())
        .limit(3)
    ).all()
    labels = {m.code: m.label for m in period.measure_set.measures}
    found: dict[str, list[str]] = {}
    for code, value in values.items():
        history = [r.values.get(code) for r in earlier if isinstance(r.values.get(code), int)]
        if value is None or not history:
            continue
        average = mean(history)
        if average > 0 and (value > OUTLIER_FACTOR * average or value < average / OUTLIER_FACTOR):
            found[f"values.{code}"] = [
                f"{labels[code]}: {value:,} is far from your average of {average:,.0f} over your last "
                f"{len(history)} return{'s' if len(history) > 1 else ''}. Is it right?"
            ]
    return found


def previous_values(period: Period, organisation_id: int) -> dict[str, int | None] | None:
    """The organisation's figures for the period before, for "same as last month"."""
    before = db.session.scalar(
        sa.select(Period)
        .where(Period.programme_id == period.programme_id, Period.start_month < period.start_month)
        .order_by(Period.start_month.desc())
        .limit(1)
    )
    if before is None:
        return None
    ret = current_return(before, organisation_id)
    return dict(ret.values) if ret is not None else None


def save_return(
    actor: User,
    programme: Programme,
    period: Period,
    values: object,
    comments: object = None,
    story: object = "",
    *,
    submit: bool,
    expected_version: int | None,
    confirm: bool = False,
    story_shareable: bool | None = None,
) -> ImpactReturn:
    """Save a draft or submit (an amendment, once submitted). ``expected_version``: 0 for a new return, None to
    overwrite unconditionally (API without If-Match)."""
    if not is_participant(actor, programme):
        raise PermissionDenied("Only organisations taking part in the programme make returns.")
    now = clock.received_at()
    org_id = actor.organisation_id
    ret = current_return(period, org_id)
    if is_locked(period, org_id, now):
        raise ReturnLocked(
            f"Returns for {period.key} locked at {clock.format_uk(period.lock_at)}. Ask the convenor to reopen "
            "it for your organisation if a figure must change."
        )
    current_version = ret.version if ret is not None else 0
    if expected_version is not None and expected_version != current_version:
        raise StaleVersion(
            "Someone else saved this return first. Here are the figures as they now stand.", current=_current(ret)
        )
    if ret is not None and ret.status in (ReturnStatus.SUBMITTED, ReturnStatus.ACCEPTED):
        submit = True  # once submitted, a change is an amendment, never back to a draft
    clean, clean_comments, clean_story = check_values(period, values, comments, story, submit=submit)
    if submit and not confirm:
        warnings = outliers(period, org_id, clean)
        if warnings:
            raise OutliersFound(warnings)
    before = ret.snapshot() if ret is not None else None
    action = "created"
    if ret is None:
        ret = ImpactReturn(
            programme_id=programme.id,
            period_id=period.id,
            organisation_id=org_id,
            measure_set_id=period.measure_set_id,
            status=ReturnStatus.DRAFT,
            created_at=now,
        )
        db.session.add(ret)
    else:
        action = "amended" if ret.status in COUNTED else "saved"
    ret.values, ret.comments, ret.story = clean, clean_comments, clean_story
    if story_shareable is not None:
        ret.story_shareable = bool(story_shareable)
    ret.updated_at, ret.updated_by_id = now, actor.id
    if submit:
        if ret.submitted_at is None:
            ret.submitted_at = now
            ret.late = now >= period.due_at
            action = "submitted"
        elif ret.status == ReturnStatus.QUERIED:
            action = "resubmitted"
        ret.status = ReturnStatus.SUBMITTED
    elif ret.status != ReturnStatus.QUERIED:
        ret.status = ReturnStatus.DRAFT
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError):
        raise StaleVersion(
            "Someone else saved this return first. Reload to see the figures as they now stand."
        ) from None
    _record(actor, ret, action, before)
    return ret


def _current(ret: ImpactReturn | None) -> dict:
    if ret is None:
        return {"version": 0}
    return {**ret.snapshot(), "version": ret.version}


def _record(actor: User, ret: ImpactReturn, action: str, before: dict | None) -> None:
    after = ret.snapshot()
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
    audit.record(f"return.{action}", actor=actor, subject=ret, before=before, after=after)


def revisions(ret: ImpactReturn) -> list[ReturnRevision]:
    return list(
        db.session.scalars(
            sa.select(ReturnRevision).where(ReturnRevision.return_id == ret.id).order_by(ReturnRevision.version.desc())
        )
    )


def returns_for(programme: Programme, organisation_id: int) -> dict[int, ImpactReturn]:
    """The organisation's returns by period id."""
    return {
        r.period_id: r
        for r in db.session.scalars(
            sa.select(ImpactReturn).where(
                ImpactReturn.programme_id == programme.id, ImpactReturn.organisation_id == organisation_id
            )
        )
    }


def as_form_values(ret: ImpactReturn | None) -> dict[str, Any]:
    if ret is None:
        return {"values": {}, "comments": {}, "story": "", "version": 0}
    return {"values": dict(ret.values), "comments": dict(ret.comments), "story": ret.story, "version": ret.version}
