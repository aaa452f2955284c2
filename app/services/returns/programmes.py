"""Programmes: who may see them, creating and changing one (measures as set versions) and its participants (the
ready-made template of measures is in ``template``; participants changed later: ``membership``).

Raises ValidationFailed, NotFound, PermissionDenied and StaleVersion.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.infra import clock
from app.models import (
    DEFAULT_RETURN_REMINDERS,
    ImpactReturn,
    Measure,
    MeasureKind,
    MeasureSet,
    MeasureUnit,
    Organisation,
    Participant,
    Programme,
    User,
)
from app.services import audit, audit_kinds
from app.services.errors import NotFound, PermissionDenied, StaleVersion, ValidationFailed, require
from app.services.returns import periods
from app.services.returns.participants import Choice, candidate_organisations, choose  # noqa: F401 (the pages ask this module)
from app.services.returns.template import TEMPLATE  # noqa: F401 (the pages and the API ask this module)
from app.text import check_one_line

CODE = re.compile(r"^[A-Z0-9_]{1,16}$")
MAX_TITLE, MAX_DESCRIPTION, MAX_MEASURES, MAX_LABEL, MAX_HELP = 200, 5000, 40, 200, 500


def is_convenor(user: User | None, programme: Programme) -> bool:
    return bool(
        user and user.is_authenticated and user.is_convenor and user.organisation_id == programme.organisation_id
    )


def is_participant(user: User | None, programme: Programme) -> bool:
    if not (user and user.is_authenticated) or user.is_convenor:
        return False
    found = db.session.scalar(
        sa.select(Participant.id).where(
            Participant.programme_id == programme.id,
            Participant.organisation_id == user.organisation_id,
            Participant.removed_at.is_(None),
        )
    )
    return found is not None


def get_for_convenor(user: User | None, programme_id: int) -> Programme:
    """The programme for a convenor of its body; NotFound for everyone else (members: PermissionDenied)."""
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        raise NotFound("No such programme.")
    if is_convenor(user, programme):
        return programme
    if is_participant(user, programme):
        raise PermissionDenied("Only the convening body's convenors can do this.")
    raise NotFound("No such programme.")


def get_for_viewer(user: User | None, programme_id: int) -> Programme:
    programme = db.session.get(Programme, programme_id)
    if programme is None or not (is_convenor(user, programme) or is_participant(user, programme)):
        raise NotFound("No such programme.")
    return programme


def visible(user: User) -> list[Programme]:
    query = sa.select(Programme).order_by(Programme.created_at.desc(), Programme.id.desc())
    if user.is_convenor:
        query = query.where(Programme.organisation_id == user.organisation_id)
    else:
        query = query.join(Participant, Participant.programme_id == Programme.id).where(
            Participant.organisation_id == user.organisation_id, Participant.removed_at.is_(None)
        )
    return list(db.session.scalars(query))


def check_measures(raw: object, errors: dict[str, list[str]]) -> list[dict]:
    """The measures as clean dicts; messages under ``measures`` or ``measures.N.field``."""
    if not isinstance(raw, list) or not raw:
        errors["measures"] = ["Add at least one measure."]
        return []
    if len(raw) > MAX_MEASURES:
        errors["measures"] = [f"A programme can have at most {MAX_MEASURES} measures."]
        return []
    clean, seen = [], set()
    for n, item in enumerate(raw):
        where = f"measures[{n}]"
        if not isinstance(item, dict):
            errors[where] = ["Each measure needs a code, label, unit and kind."]
            continue
        code = item.get("code")
        if not isinstance(code, str) or not CODE.match(code):
            errors[f"{where}.code"] = ["A code is 1 to 16 capital letters, digits or underscores, e.g. FOOD_PARCELS."]
        elif code in seen:
            errors[f"{where}.code"] = [f"The code {code} is used twice."]
        seen.add(code)
        try:
            label = check_one_line(item.get("label", ""), "label")
            if not label or len(label) > MAX_LABEL:
                raise ValueError(f"Give the measure a label of up to {MAX_LABEL} characters.")
        except ValueError as exc:
            errors[f"{where}.label"] = [str(exc)]
            label = ""
        help_text = item.get("help") or ""
        if not isinstance(help_text, str) or len(help_text) > MAX_HELP:
            errors[f"{where}.help"] = [f"Help text is at most {MAX_HELP} characters."]
        if item.get("unit") not in {u.value for u in MeasureUnit}:
            errors[f"{where}.unit"] = ["Choose the unit: count, pence or fte (tenths)."]
        if item.get("kind") not in {k.value for k in MeasureKind}:
            errors[f"{where}.kind"] = ["Choose flow (adds up over months) or stock (a month-end level)."]
        required = item.get("required", True)
        if not isinstance(required, bool):
            errors[f"{where}.required"] = ["Required is true or false."]
        value = item.get("unit_value_pence")
        source = (item.get("unit_value_source") or "").strip() if isinstance(item.get("unit_value_source"), str) else ""
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            errors[f"{where}.unit_value_pence"] = ["A unit value is a whole number of pence, 0 or more."]
        elif value is not None and not source:
            errors[f"{where}.unit_value_source"] = ["Say where your unit value comes from (its source and licence)."]
        clean.append(
            {
                "code": code,
                "label": label,
                "help": help_text if isinstance(help_text, str) else "",
                "unit": item.get("unit"),
                "kind": item.get("kind"),
                "required": bool(required),
                "unit_value_pence": value,
                "unit_value_source": source or None,
            }
        )
    return clean


def validate(values: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Check a programme's values; raises ValidationFailed naming every bad field."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    if not partial or "title" in values:
        try:
            clean["title"] = check_one_line(values.get("title") or "", "title")
            if not clean["title"]:
                raise ValueError("Give the programme a title.")
            if len(clean["title"]) > MAX_TITLE:
                raise ValueError(f"The title is at most {MAX_TITLE} characters.")
        except ValueError as exc:
            errors["title"] = [str(exc)]
    if not partial or "description" in values:
        text = values.get("description") or ""
        if not isinstance(text, str) or len(text) > MAX_DESCRIPTION:
            errors["description"] = [f"The description is text of at most {MAX_DESCRIPTION} characters."]
        clean["description"] = text if isinstance(text, str) else ""
    if not partial or "measures" in values:
        clean["measures"] = check_measures(values.get("measures"), errors)
    if not partial:
        try:
            start, end = periods.parse_key(values.get("first_period") or "")
            clean["first_period"] = periods.key_for(start, end)
        except ValueError as exc:
            errors["first_period"] = [str(exc)]
    for name, default, top, message in (
        ("due_days", 15, 365, "Returns are due 0 to 365 days after a period ends."),
        ("lock_days", 45, 730, "Returns lock 0 (never) to 730 days after a period ends."),
    ):
        if partial and name not in values:
            continue
        value = values.get(name, default)
        if value is None:
            value = default
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= top:
            errors[name] = [message]
        clean[name] = value
    both = "due_days" in clean and "lock_days" in clean and not errors.get("lock_days") and not errors.get("due_days")
    if both and clean["lock_days"] and clean["lock_days"] < clean["due_days"]:
        errors["lock_days"] = ["Returns cannot lock before they are due: choose more days, or 0 for never."]
    if "reminder_plan" in values or not partial:
        plan = values.get("reminder_plan")
        if plan is None:
            plan = list(DEFAULT_RETURN_REMINDERS)
        if (
            not isinstance(plan, list)
            or len(plan) > 10
            or any(not isinstance(d, int) or isinstance(d, bool) or not -60 <= d <= 60 for d in plan)
        ):
            errors["reminder_plan"] = ["Reminders are up to 10 whole numbers of days from the due date, -60 to 60."]
        else:
            clean["reminder_plan"] = sorted(set(plan))
    if "sector_homes" in values:
        homes = values.get("sector_homes")
        if homes is not None and (not isinstance(homes, int) or isinstance(homes, bool) or not 0 < homes < 10**9):
            errors["sector_homes"] = ["The sector's total homes is a whole number above 0."]
        clean["sector_homes"] = homes
    require(errors)
    return clean


def create_programme(actor: User, values: dict[str, Any], organisation_ids: list[int]) -> Programme:
    """A new programme with the organisations chosen taking part (see ``create_from_directory``)."""
    return create_from_directory(actor, values, organisation_ids=organisation_ids)[0]


def create_from_directory(
    actor: User,
    values: dict[str, Any],
    *,
    organisation_ids: list[int] | None = None,
    tag: str | None = None,
    everyone: bool = False,
) -> tuple[Programme, Choice]:
    """A new programme with its first measure set and participants (all of the body's directory, a tag or
    the organisations chosen); periods that have ended are opened. Returns the programme and the choice,
    whose ``skipped`` says which directory entries could not take part and why. Nothing is saved on error."""
    if not actor.is_convenor:
        raise PermissionDenied("Only convenors can create programmes.")
    try:
        clean, errors = validate(values), {}
    except ValidationFailed as exc:
        clean, errors = {}, dict(exc.errors)
    choice, refused = choose(actor.organisation_id, organisation_ids=organisation_ids, tag=tag, everyone=everyone)
    require({**errors, **refused})
    chosen = choice.organisation_ids
    programme = Programme(
        organisation_id=actor.organisation_id,
        title=clean["title"],
        description=clean["description"],
        first_period=clean["first_period"],
        due_days=clean["due_days"],
        lock_days=clean["lock_days"],
        reminder_plan=clean["reminder_plan"],
        sector_homes=values.get("sector_homes") if isinstance(values.get("sector_homes"), int) else None,
        created_by_id=actor.id,
    )
    db.session.add(programme)
    _add_set(programme, clean["measures"], 1)
    db.session.flush()
    now = clock.now()
    for org_id in chosen:
        db.session.add(Participant(programme_id=programme.id, organisation_id=org_id, added_at=now))
    db.session.flush()
    periods.ensure_periods(programme, now)
    after = {**clean, "organisations": chosen}
    if tag is not None or everyone:
        after |= {"chosen_by": f"tag {tag.strip()}" if tag is not None else "all", "skipped": choice.skipped}
    audit.record("programme.created", actor=actor, subject=programme, after=after)
    return programme, choice


def _add_set(programme: Programme, measures: list[dict], version: int) -> MeasureSet:
    measure_set = MeasureSet(version=version)
    programme.measure_sets.append(measure_set)
    for n, m in enumerate(measures):
        measure_set.measures.append(Measure(position=n, **m))
    return measure_set


def set_in_use(measure_set: MeasureSet) -> bool:
    return (
        db.session.scalar(sa.select(ImpactReturn.id).where(ImpactReturn.measure_set_id == measure_set.id).limit(1))
        is not None
    )


def update_programme(actor: User, programme: Programme, values: dict[str, Any], *, expected_version: int | None):
    """Change title, description, days, reminders, sector homes or measures. Measures a return already uses are
    never changed: a new set version is made, and periods opened from now on use it."""
    if not is_convenor(actor, programme):
        raise PermissionDenied("Only the convening body's convenors can change a programme.")
    if expected_version is not None and expected_version != programme.version:
        raise StaleVersion("The programme was changed by someone else.", {"version": programme.version})
    clean = validate(values, partial=True)
    before = {
        "title": programme.title,
        "description": programme.description,
        "due_days": programme.due_days,
        "lock_days": programme.lock_days,
        "measures": [m.as_dict() for m in programme.current_set.measures],
    }
    for name in ("title", "description", "due_days", "lock_days", "reminder_plan", "sector_homes"):
        if name in clean:
            setattr(programme, name, clean[name])
    if "measures" in clean:
        current = programme.current_set
        if set_in_use(current):
            _add_set(programme, clean["measures"], current.version + 1)
        else:
            current.measures.clear()
            db.session.flush()
            for n, m in enumerate(clean["measures"]):
                current.measures.append(Measure(position=n, **m))
    programme.updated_at = clock.now()
    flag_modified(programme, "updated_at")  # always an UPDATE of the row, so its version moves with any change
    try:
        db.session.flush()
    except StaleDataError:
        raise StaleVersion("The programme was changed by someone else.") from None
    audit.record(
        "programme.updated", actor=actor, subject=programme, before=before, after={k: v for k, v in clean.items()}
    )
    return programme


def participants(programme: Programme) -> list[Organisation]:
    """The organisations taking part now (not those removed)."""
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .join(Participant, Participant.organisation_id == Organisation.id)
            .where(Participant.programme_id == programme.id, Participant.removed_at.is_(None))
            .order_by(Organisation.name)
        )
    )


def now_moment() -> datetime:
    return clock.received_at()


audit_kinds.declare(
    "programme.created",
    lambda e: f"{e.actor} set up the returns programme {e.value('title') or ''}.".replace(" .", "."),
    title="Programme set up",
)
audit_kinds.declare(
    "programme.updated", lambda e: f"{e.actor} changed the returns programme.", title="Programme changed"
)
