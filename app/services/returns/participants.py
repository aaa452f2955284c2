"""Who may take part in a programme: the body's directory entries linked to a member organisation.

A programme's organisations are chosen as all of the directory, those with one of its tags, or by id; entries
without an account (or linked to a convening body) are skipped, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import DirectoryEntry, DirectoryTag, Organisation, OrganisationKind

__all__ = ["Choice", "candidate_organisations", "choose", "directory_entries", "skip_reason", "tag_names"]


def directory_entries(body_id: int) -> list[DirectoryEntry]:
    """The body's directory, by name, each entry's organisation and tags loaded."""
    return list(
        db.session.scalars(
            sa.select(DirectoryEntry)
            .where(DirectoryEntry.body_id == body_id)
            .options(selectinload(DirectoryEntry.organisation), selectinload(DirectoryEntry.tags))
            .order_by(DirectoryEntry.name_key, DirectoryEntry.id)
        )
    )


def skip_reason(entry: DirectoryEntry) -> str | None:
    """Why a directory entry cannot take part, or None when it can."""
    if entry.organisation is None:
        return "it has no account yet (it has not accepted an invitation to one of your bids)"
    if entry.organisation.kind != OrganisationKind.MEMBER:
        return "it is a convening body, not a member organisation"
    return None


def candidate_organisations(body_id: int) -> list[Organisation]:
    """The organisations that can take part: the member organisations the body's directory is linked to."""
    orgs = [e.organisation for e in directory_entries(body_id) if skip_reason(e) is None]
    return sorted(orgs, key=lambda o: (o.name.casefold(), o.id))


@dataclass
class Choice:
    """The organisations chosen to take part, and the directory entries left out with the reason."""

    organisation_ids: list[int] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def choose(
    body_id: int, *, organisation_ids: list[int] | None = None, tag: str | None = None, everyone: bool = False
) -> tuple[Choice, dict[str, list[str]]]:
    """Who takes part: every entry of the body's directory, those with a tag, or the organisations chosen.

    Only entries linked to a member organisation can; the others are skipped with the reason. Returns the
    choice and the messages (under ``organisation_ids`` or ``tag``) when nothing sensible was chosen."""
    modes = [bool(organisation_ids), tag is not None, everyone]
    if sum(modes) > 1:
        return Choice(), {"organisation_ids": ["Choose all, a tag or organisations, not more than one."]}
    entries = directory_entries(body_id)
    if tag is not None:
        name = tag.strip() if isinstance(tag, str) else ""
        if not name:
            return Choice(), {"tag": ["Give the name of one of your directory's tags."]}
        entries = [e for e in entries if any(t.name_key == name.casefold() for t in e.tags)]
        if not entries:
            known = db.session.scalar(
                sa.select(DirectoryTag.id).where(
                    DirectoryTag.body_id == body_id, DirectoryTag.name_key == name.casefold()
                )
            )
            if known is None:
                return Choice(), {"tag": [f"Your directory has no tag “{name}”."]}
            return Choice(), {"tag": [f"No organisation in your directory has the tag “{name}”."]}
    elif not everyone:
        chosen = list(dict.fromkeys(organisation_ids or []))
        if not chosen:
            return Choice(), {"organisation_ids": ["Choose the organisations taking part."]}
        allowed = {o.id for o in candidate_organisations(body_id)}
        unknown = [i for i in chosen if i not in allowed]
        if unknown:
            listed = ", ".join(map(str, unknown[:10]))
            message = f"Choose organisations from your body's directory that have an account (not: {listed})."
            return Choice(), {"organisation_ids": [message]}
        return Choice(chosen), {}
    choice = Choice()
    for entry in entries:
        reason = skip_reason(entry)
        if reason:
            choice.skipped.append((entry.display_name, reason))
        elif entry.organisation_id not in choice.organisation_ids:
            choice.organisation_ids.append(entry.organisation_id)
    if not choice.organisation_ids:
        where = "tag" if tag is not None else "organisation_ids"
        names = "; ".join(f"{n}: {r}" for n, r in choice.skipped[:10]) or "your directory is empty"
        return choice, {where: [f"None of these organisations can take part ({names})."]}
    return choice, {}


def tag_names(body_id: int) -> list[str]:
    """The body's directory tags, by name."""
    return list(
        db.session.scalars(
            sa.select(DirectoryTag.name).where(DirectoryTag.body_id == body_id).order_by(DirectoryTag.name)
        )
    )
