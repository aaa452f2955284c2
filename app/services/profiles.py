"""An organisation's profile: its name, org-id identifier, homes owned, regions and website.

The pure helpers (``check_*``, ``normalise_website``, ``profile_values``) hold the rules for each field and are
shared by every path that creates or edits an organisation. ``update_profile`` is the one edit.

Raises ValidationFailed (a field's value, a name or identifier already used) and PermissionDenied.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from app.extensions import db
from app.models import Organisation, User
from app.regions import check_org_identifier, normalise_regions
from app.services import audit
from app.services.errors import PermissionDenied, ValidationFailed, require
from app.text import check_name, skeleton

#: the fields a profile edit may change, in the order forms show them
PROFILE_FIELDS = ("name", "identifier", "homes_owned", "regions", "website")

MAX_NAME = 200
MAX_WEBSITE = 300
MAX_HOMES = 50_000_000


def check_organisation_name(value: Any) -> str:
    """The name under the one set of name rules. Raises ValueError with the message."""
    name = check_name(value if value is not None else "", "organisation's name")
    if not name:
        raise ValueError("Enter the organisation's name.")
    if len(name) > MAX_NAME:
        raise ValueError(f"The name must be {MAX_NAME} characters or fewer.")
    return name


def check_identifier(value: Any) -> str | None:
    """An org-id identifier upper-cased, or None when blank. Raises ValueError with the message."""
    if value is not None and not isinstance(value, str):
        raise ValueError("Enter the identifier as text, like GB-SHPE-L0026.")
    return check_org_identifier(value)


def check_homes_owned(value: Any) -> int | None:
    """A whole number of homes from 0 to 50 million, or None. Raises ValueError with the message."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("Enter the number of homes owned as a whole number.")
    if value < 0:
        raise ValueError("Enter the number of homes owned as a whole number, 0 or more.")
    if value > MAX_HOMES:
        raise ValueError(f"The number of homes owned must be {MAX_HOMES:,} or fewer.")
    return value


def check_regions(value: Any) -> list[str]:
    """ITL1 region codes, known and de-duplicated in the regions' order. Raises ValueError with the message."""
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(code, str) for code in value):
        raise ValueError("Choose the regions from the list.")
    return normalise_regions(list(value))


def normalise_website(value: Any) -> str | None:
    """A website address as stored: ``www.example.org`` becomes ``https://www.example.org``; blank is None.

    Only http and https addresses of a named host are accepted (no spaces, no user name or password in the
    address). Raises ValueError with the message.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("Enter the website address as text, like www.example.org.")
    text = value.strip()
    if not text:
        return None
    if "://" not in text:
        text = "https://" + text
    if len(text) > MAX_WEBSITE:
        raise ValueError(f"The website address must be {MAX_WEBSITE} characters or fewer.")
    if any(ch.isspace() for ch in text) or any(ord(ch) < 32 for ch in text):
        raise ValueError("A website address cannot contain spaces.")
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
    except ValueError:
        raise ValueError("Enter a website address like www.example.org.") from None
    if parts.scheme.lower() not in {"http", "https"}:
        raise ValueError("The website address must start with https:// or http://.")
    if parts.username is not None or parts.password is not None:
        raise ValueError("A website address cannot contain a user name or password.")
    labels = host.split(".")
    if len(labels) < 2 or not all(labels) or not labels[-1].isalpha():
        raise ValueError("Enter a website address like www.example.org.")
    return parts.scheme.lower() + text[len(parts.scheme) :]


_CHECKS = {
    "name": check_organisation_name,
    "identifier": check_identifier,
    "homes_owned": check_homes_owned,
    "regions": check_regions,
    "website": normalise_website,
}


def profile_values(values: dict[str, Any], errors: dict[str, list[str]], *, prefix: str = "") -> dict[str, Any]:
    """Check the profile fields present in ``values``; collect messages into ``errors`` under ``prefix + field``.

    Returns the clean values of the fields that passed. A field missing from ``values`` is left out, except the
    name, which every profile needs.
    """
    clean: dict[str, Any] = {}
    for field, check in _CHECKS.items():
        if field not in values and field != "name":
            continue
        try:
            clean[field] = check(values.get(field))
        except ValueError as exc:
            errors.setdefault(prefix + field, []).append(str(exc))
    return clean


def can_edit_profile(actor: User | None, organisation: Organisation) -> bool:
    """Whether ``actor`` may edit the organisation's profile: its own enabled managers, or the operator (None)."""
    if actor is None:
        return True
    return actor.is_enabled and actor.is_manager and actor.organisation_id == organisation.id


def check_unique(clean: dict[str, Any], organisation: Organisation | None = None) -> None:
    """Refuse a name another organisation has (or one that looks the same) and an identifier another uses.

    ``organisation`` is the one being edited, which may keep its own name and identifier.
    """
    own_id = organisation.id if organisation is not None else None
    errors: dict[str, list[str]] = {}
    if "name" in clean:
        name = clean["name"]
        key = Organisation.key_for(name)
        taken = db.session.scalar(
            sa.select(Organisation).where(Organisation.name_key == key, Organisation.id != own_id)
        )
        if taken is not None:
            errors["name"] = ["An organisation with that name already exists. Ask its staff to invite you."]
        else:
            wanted = skeleton(name)
            for other in db.session.scalars(sa.select(Organisation).where(Organisation.id != own_id)):
                if skeleton(other.name) == wanted:
                    errors["name"] = [
                        f"That name looks the same as an organisation already registered ({other.name}): "
                        "check for look-alike letters. If you work there, ask its staff to invite you."
                    ]
                    break
    if clean.get("identifier") and db.session.scalar(
        sa.select(Organisation.id).where(Organisation.identifier == clean["identifier"], Organisation.id != own_id)
    ):
        errors["identifier"] = ["Another organisation already uses that identifier."]
    require(errors)


def update_profile(actor: User | None, organisation: Organisation, **changes: Any) -> Organisation:
    """Change some of the organisation's profile fields (``PROFILE_FIELDS``) and audit what changed.

    Every value is checked before anything is written: one bad value changes nothing. A change that leaves
    every value as it was writes nothing. Bid packs already generated keep the values they were made with.
    ``actor`` None is the operator (a flask command).
    """
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"not profile fields: {', '.join(sorted(unknown))}")
    if not can_edit_profile(actor, organisation):
        raise PermissionDenied("Only a manager of the organisation can change its profile.")
    errors: dict[str, list[str]] = {}
    clean = {}
    for field, value in changes.items():
        try:
            clean[field] = _CHECKS[field](value)
        except ValueError as exc:
            errors[field] = [str(exc)]
    if errors:
        raise ValidationFailed(errors)
    changed = {field: value for field, value in clean.items() if getattr(organisation, field) != value}
    if not changed:
        return organisation
    check_unique(changed, organisation)
    before = {field: getattr(organisation, field) for field in changed}
    for field, value in changed.items():
        setattr(organisation, field, value)
    if "name" in changed:
        organisation.name_key = Organisation.key_for(changed["name"])
    db.session.flush()
    audit.record(
        "organisation.profile_updated",
        actor=actor,
        organisation_id=organisation.id,
        subject=organisation,
        before=before,
        after=changed,
    )
    return organisation
