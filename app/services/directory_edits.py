"""Changing a body's directory by hand: organisations, their contacts (one primary) and tags; duplicates.

Each change is audited. Raises ValidationFailed (per field), NotFound and PermissionDenied (see
``directory.get_entry``), Conflict when a name or address is already in the directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.infra import clock
from app.models import DirectoryContact, DirectoryEntry, DirectoryTag, Organisation, User
from app.services import audit, audit_kinds, profiles, users
from app.services.directory import body_of
from app.services.directory_names import accent_folded, duplicate_key
from app.services.errors import Conflict, ValidationFailed
from app.text import check_name, check_one_line, possessive

PROFILE_FIELDS = profiles.PROFILE_FIELDS


def clean_profile(values: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """The profile values checked and normalised by the shared profile rules (``app.services.profiles``), after
    reading what people type in a form or a file ("1,200" homes, "NW; WAL" regions). Raises ValidationFailed
    naming each bad field."""
    errors: dict[str, list[str]] = {}
    typed: dict[str, Any] = {}
    for name in PROFILE_FIELDS:
        if name not in values:
            continue
        try:
            typed[name] = _READ.get(name, _blank_none)(values[name])
        except ValueError as exc:
            errors[name] = [str(exc)]
    if partial and "name" not in typed:
        typed = {"name": "placeholder", **typed}  # profile_values always checks a name
        out = profiles.profile_values(typed, errors)
        out.pop("name", None)
    else:
        out = profiles.profile_values(typed, errors)
    if errors:
        raise ValidationFailed(errors)
    return out


def _blank_none(value):
    return None if value in (None, "") else value


def _homes(value) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, int):
        return value
    text = str(value).replace(",", "").strip()
    if not text.isdigit():
        raise ValueError("Enter the number of homes owned as a whole number, for example 12400.")
    return int(text)


def _region_list(value) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [v.strip().upper() for v in value.replace(";", ",").split(",") if v.strip()]
    return [str(v).strip().upper() for v in value]


_READ = {"homes_owned": _homes, "regions": _region_list, "name": lambda v: v or ""}


@dataclass
class Duplicate:
    entry_id: int
    name: str
    reason: str
    warning_only: bool = False  #: names alike only once accents are folded (Grŵp / Grwp)


def possible_duplicates(
    body_id: int, name: str, identifier: str | None, *, exclude: int | None = None
) -> list[Duplicate]:
    """Entries of the body that may be the same organisation as ``name`` / ``identifier``."""
    key = duplicate_key(name)
    found = []
    for entry_id, other, other_id in _names(body_id):
        if entry_id == exclude:
            continue
        other_key = duplicate_key(other)
        if identifier and other_id and identifier == other_id:
            found.append(Duplicate(entry_id, other, f"the same identifier, {identifier}"))
        elif other_key == key:
            found.append(Duplicate(entry_id, other, "the same name once case, punctuation and ‘Ltd’ are set aside"))
        elif accent_folded(other_key) == accent_folded(key):
            found.append(Duplicate(entry_id, other, "the same letters but different accents", warning_only=True))
    return found


def _names(body_id: int):
    org = sa.orm.aliased(Organisation)
    linked = DirectoryEntry.organisation_id.is_not(None)
    return db.session.execute(
        sa.select(
            DirectoryEntry.id,
            sa.case((linked, org.name), else_=DirectoryEntry.name),
            sa.case((linked, org.identifier), else_=DirectoryEntry.identifier),
        )
        .outerjoin(org, org.id == DirectoryEntry.organisation_id)
        .where(DirectoryEntry.body_id == body_id)
    ).all()


def duplicate_groups(actor: User) -> list[list[Duplicate]]:
    """Sets of the body's entries that may be one organisation (same identifier or duplicate key), and
    look-alikes (equal only with accents folded), each set once."""
    body_id = body_of(actor)
    by_key: dict[str, list[Duplicate]] = {}
    for entry_id, name, identifier in _names(body_id):
        dup = duplicate_key(name)
        by_key.setdefault("k:" + dup, []).append(Duplicate(entry_id, name, "same name"))
        by_key.setdefault("a:" + accent_folded(dup), []).append(
            Duplicate(entry_id, name, "same letters, different accents", warning_only=True)
        )
        if identifier:
            by_key.setdefault("i:" + identifier, []).append(Duplicate(entry_id, name, f"same identifier {identifier}"))
    groups, seen = [], set()
    for key, members in sorted(by_key.items()):
        ids = frozenset(m.entry_id for m in members)
        if len(ids) < 2 or ids in seen:
            continue
        if key.startswith("a:") and any(
            frozenset(m.entry_id for m in v) == ids for k, v in by_key.items() if not k.startswith("a:")
        ):
            continue  # the same set is a duplicate outright, not only a look-alike
        seen.add(ids)
        groups.append(members)
    return groups


def add_organisation(actor: User, values: dict[str, Any], *, contact: dict | None = None, tags=()) -> DirectoryEntry:
    """A new entry in the actor's body's directory. Raises ValidationFailed, Conflict (the name is there)."""
    body_id = body_of(actor)
    profile = clean_profile(values)
    key = Organisation.key_for(profile["name"])
    if db.session.scalar(
        sa.select(DirectoryEntry.id).where(DirectoryEntry.body_id == body_id, DirectoryEntry.name_key == key)
    ):
        raise ValidationFailed({"name": [f"{profile['name']} is already in your directory."]})
    now = clock.now()
    entry = DirectoryEntry(body_id=body_id, name_key=key, created_at=now, updated_at=now, **_defaults(profile))
    db.session.add(entry)
    db.session.flush()
    if contact and contact.get("email"):
        add_contact(actor, entry, contact, audited=False)
    if tags:
        _set_tags(body_id, entry, tags)
    audit.record("directory.organisation_added", actor=actor, subject=entry, after=_snapshot(entry))
    return entry


def _defaults(profile: dict) -> dict:
    return {"regions": [], **profile}


def update_organisation(actor: User, entry: DirectoryEntry, changes: dict[str, Any]) -> DirectoryEntry:
    """Change the profile the body keeps for an organisation (and its tags). An organisation with its own
    account keeps its own profile: only its members change that. Raises ValidationFailed."""
    body_of(actor)
    tags = changes.pop("tags", None)
    profile = clean_profile(changes, partial=True)
    if profile and entry.organisation_id:
        raise ValidationFailed(
            {f: [f"{entry.display_name} keeps its own profile: its members change it."] for f in profile}
        )
    before = _snapshot(entry)
    if "name" in profile:
        key = Organisation.key_for(profile["name"])
        clash = db.session.scalar(
            sa.select(DirectoryEntry.id).where(
                DirectoryEntry.body_id == entry.body_id, DirectoryEntry.name_key == key, DirectoryEntry.id != entry.id
            )
        )
        if clash:
            raise ValidationFailed(
                {"name": [f"{profile['name']} is already in your directory: merge the two instead."]}
            )
        entry.name_key = key
    for name, value in profile.items():
        setattr(entry, name, value)
    if tags is not None:
        _set_tags(entry.body_id, entry, tags)
    entry.updated_at = clock.now()
    db.session.flush()
    audit.record("directory.organisation_changed", actor=actor, subject=entry, before=before, after=_snapshot(entry))
    return entry


def _set_tags(body_id: int, entry: DirectoryEntry, names) -> None:
    if isinstance(names, str):
        names = names.replace(";", ",").split(",")
    wanted: dict[str, str] = {}
    for raw in names:
        try:
            name = check_one_line(str(raw), "tag")
        except ValueError as exc:
            raise ValidationFailed({"tags": [str(exc)]}) from None
        if not name:
            continue
        if len(name) > 80:
            raise ValidationFailed({"tags": ["A tag must be 80 characters or fewer."]})
        wanted.setdefault(name.casefold(), name)
    existing = {
        t.name_key: t
        for t in db.session.scalars(
            sa.select(DirectoryTag).where(DirectoryTag.body_id == body_id, DirectoryTag.name_key.in_(wanted))
        )
    }
    for key, name in wanted.items():
        if key not in existing:
            existing[key] = DirectoryTag(body_id=body_id, name=name, name_key=key)
            db.session.add(existing[key])
    entry.tags = [existing[k] for k in wanted]


def add_contact(actor: User, entry: DirectoryEntry, values: dict, *, audited: bool = True) -> DirectoryContact:
    """A contact for the entry; the first (or one marked ``primary``) is the primary contact.
    Raises ValidationFailed, Conflict (the address is already a contact of this organisation)."""
    body_of(actor)
    errors: dict[str, list[str]] = {}
    try:
        email = users.normalise_email(values.get("email"))
    except ValueError as exc:
        errors["email"] = [str(exc)]
    name = job = ""
    try:
        name = check_name(values.get("name") or "", "contact name")[:200]
        job = check_one_line(values.get("job_title") or "", "job title")[:200]
    except ValueError as exc:
        errors.setdefault("name", []).append(str(exc))
    if errors:
        raise ValidationFailed(errors)
    if any(c.email == email for c in entry.contacts):
        raise Conflict(f"{email} is already a contact of {entry.display_name}.")
    primary = bool(values.get("primary")) or not entry.contacts
    if primary:
        for other in entry.contacts:
            other.is_primary = False
        db.session.flush()
    account = db.session.scalar(sa.select(User).where(User.email == email))
    contact = DirectoryContact(
        entry=entry,
        name=name,
        email=email,
        job_title=job,
        is_primary=primary,
        user_id=account.id if account and account.organisation_id == entry.organisation_id else None,
    )
    db.session.add(contact)
    db.session.flush()
    if audited:
        audit.record("directory.contact_added", actor=actor, subject=entry, after={"email": email, "primary": primary})
    return contact


def set_primary_contact(actor: User, entry: DirectoryEntry, contact_id: int) -> DirectoryContact:
    """Make one of the entry's contacts its primary contact. Raises NotFound."""
    body_of(actor)
    contact = next((c for c in entry.contacts if c.id == contact_id), None)
    if contact is None:
        from app.services.errors import NotFound

        raise NotFound("No such contact.")
    before = next((c.email for c in entry.contacts if c.is_primary), None)
    for other in entry.contacts:
        other.is_primary = False
    db.session.flush()
    contact.is_primary = True
    db.session.flush()
    audit.record(
        "directory.primary_contact_changed",
        actor=actor,
        subject=entry,
        before={"email": before},
        after={"email": contact.email},
    )
    return contact


def _snapshot(entry: DirectoryEntry) -> dict:
    return {
        "name": entry.name,
        "identifier": entry.identifier,
        "homes_owned": entry.homes_owned,
        "regions": list(entry.regions or []),
        "website": entry.website,
        "tags": [t.name for t in entry.tags],
    }


audit_kinds.declare(
    "directory.organisation_added",
    lambda e: f"{e.actor} added {e.value('name') or 'an organisation'} to the directory.",
    title="Directory organisation added",
)
audit_kinds.declare(
    "directory.organisation_changed",
    lambda e: f"{e.actor} changed {possessive(e.value('name') or 'an organisation')} directory entry.",
    title="Directory entry changed",
)
audit_kinds.declare(
    "directory.contact_added", lambda e: f"{e.actor} added a contact to a directory entry.", title="Contact added"
)
audit_kinds.declare(
    "directory.primary_contact_changed",
    lambda e: f"{e.actor} changed a directory entry's primary contact.",
    title="Primary contact changed",
)
