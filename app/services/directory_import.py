"""Importing organisations and contacts into a body's directory from CSV or XLSX, with a report per row.

Rows are added, updated (new contacts, tags or blank profile fields filled), skipped (nothing new) or
refused (with the reason; offered back for correcting). A possible duplicate is refused, not merged.
Raises ValidationFailed (field ``file``) when the whole file is refused: then nothing is saved.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.imports import Column, TableRefused, TableRow, offer_back, read_table
from app.infra import clock
from app.models import DirectoryContact, DirectoryEntry, DirectoryTag, Organisation, User
from app.services import audit, audit_kinds, users
from app.services.directory import body_of
from app.services.directory_edits import clean_profile
from app.services.directory_names import accent_folded, duplicate_key
from app.services.errors import ValidationFailed
from app.text import check_name, check_one_line

MAX_ROWS = 10_000

COLUMNS = [
    Column("organisation", "organisation", ("organisation name", "name", "org", "organisation_name"), True),
    Column("email", "email", ("contact email", "email address", "contact email address")),
    Column("contact_name", "contact name", ("contact", "person", "contact person")),
    Column("job_title", "job title", ("role", "title", "position")),
    Column("identifier", "identifier", ("org id", "org-id", "orgid", "organisation identifier")),
    Column("homes", "homes", ("homes owned", "homes_owned", "number of homes")),
    Column("regions", "regions", ("region",)),
    Column("website", "website", ("web", "url", "web site")),
    Column("tags", "tags", ("tag", "groups")),
]
HEADER = [c.label for c in COLUMNS]


@dataclass
class ImportRow:
    line: int
    name: str
    email: str
    outcome: str  #: "added", "updated", "skipped" or "refused"
    reason: str = ""
    cells: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    rows: list[ImportRow] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    separator: str | None = ","

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    @property
    def refused(self) -> list[ImportRow]:
        return [r for r in self.rows if r.outcome == "refused"]

    def refused_text(self) -> str:
        """The refused rows whole, under the file's header, ready to correct and import again."""
        rows = [TableRow(r.line, {}, r.cells) for r in self.refused]
        return offer_back(rows, self.separator or ",", self.header) if rows else ""

    def summary(self) -> str:
        return ", ".join(f"{self.count(o)} {o}" for o in ("added", "updated", "skipped", "refused")) + "."


def import_directory(actor: User, data: bytes | str, filename: str | None = None) -> ImportReport:
    """Import the table into the actor's body's directory. Raises ValidationFailed (``file``) for the file."""
    body_id = body_of(actor)
    try:
        table = read_table(data, COLUMNS, filename=filename, header="required", max_rows=MAX_ROWS, noun="file")
    except TableRefused as exc:
        raise ValidationFailed({"file": [exc.message]}) from None
    report = ImportReport(header=_header_of(table), separator=table.separator)
    run = _Run(actor, body_id)
    with db.session.no_autoflush:  # one flush at the end, not one per row
        for row in table.rows:
            report.rows.append(run.take(row, table.width))
    db.session.flush()
    audit.record(
        "directory.imported",
        actor=actor,
        after={o: report.count(o) for o in ("added", "updated", "skipped", "refused")} | {"file": filename or "paste"},
    )
    return report


def _header_of(table) -> list[str]:
    labels = {c.key: c.label for c in COLUMNS}
    return [labels[k] for k in table.columns]


class _Run:
    """One import: the body's entries, keys and contacts loaded once, then each row checked and applied."""

    def __init__(self, actor: User, body_id: int):
        self.actor, self.body_id, self.now = actor, body_id, clock.now()
        self.entries = {
            e.name_key: e
            for e in db.session.scalars(
                sa.select(DirectoryEntry)
                .where(DirectoryEntry.body_id == body_id)
                .options(
                    selectinload(DirectoryEntry.contacts),
                    selectinload(DirectoryEntry.tags),
                    selectinload(DirectoryEntry.organisation),
                )
            )
        }
        self.dup: dict[str, DirectoryEntry] = {}
        self.folded: dict[str, DirectoryEntry] = {}
        self.identifiers: dict[str, DirectoryEntry] = {}
        for entry in self.entries.values():
            self._index(entry, entry.profile())
        self.lines: dict[str, int] = {}  #: name key -> first line in this file
        self.tags = {
            t.name_key: t for t in db.session.scalars(sa.select(DirectoryTag).where(DirectoryTag.body_id == body_id))
        }

    def _index(self, entry: DirectoryEntry, profile: dict) -> None:
        key = duplicate_key(profile["name"])
        self.dup.setdefault(key, entry)
        self.folded.setdefault(accent_folded(key), entry)
        if profile["identifier"]:
            self.identifiers.setdefault(profile["identifier"], entry)

    def take(self, row: TableRow, width: int) -> ImportRow:
        v = row.values
        out = ImportRow(row.line, v["organisation"], v["email"], "refused", cells=row.cells)
        if row.extra or len(row.cells) > width:
            out.reason = "This line has more values than the header has columns (is there an unquoted comma?)."
            return out
        try:
            profile = clean_profile(
                {
                    "name": v["organisation"],
                    "identifier": v["identifier"],
                    "homes_owned": v["homes"],
                    "regions": v["regions"],
                    "website": v["website"],
                }
            )
            email = users.normalise_email(v["email"]) if v["email"] else None
            contact_name = check_name(v["contact_name"], "contact name")[:200] if v["contact_name"] else ""
            job = check_one_line(v["job_title"], "job title")[:200]
            tags = [check_one_line(t, "tag")[:80] for t in v["tags"].replace(";", ",").split(",") if t.strip()]
        except ValidationFailed as exc:
            out.reason = " ".join(m for ms in exc.errors.values() for m in ms)
            return out
        except ValueError as exc:
            out.reason = f"{exc} (the email column)" if "email" in str(exc) else str(exc)
            return out
        key = Organisation.key_for(profile["name"])
        entry = self.entries.get(key)
        if entry is None:
            clash = self._duplicate(profile)
            if clash:
                out.reason = clash
                return out
            return self._add(out, key, profile, email, contact_name, job, tags)
        return self._update(out, key, entry, profile, email, contact_name, job, tags)

    def _duplicate(self, profile) -> str | None:
        ident = profile.get("identifier")
        if ident and ident in self.identifiers:
            other = self.identifiers[ident]
            return f"Possible duplicate: {other.display_name} has the identifier {ident}. Use that name to update it."
        dup = duplicate_key(profile["name"])
        if dup in self.dup:
            other = self.dup[dup].display_name
            return (
                f"Possible duplicate of {other} (the same name once case, punctuation and ‘Ltd’ are set aside). "
                "Use that name to update it, or merge them later."
            )
        return None

    def _add(self, out, key, profile, email, contact_name, job, tags) -> ImportRow:
        entry = DirectoryEntry(
            body_id=self.body_id, name_key=key, created_at=self.now, updated_at=self.now, **({"regions": []} | profile)
        )
        entry.contacts = []
        entry.tags = []
        db.session.add(entry)
        self.entries[key] = entry
        self._index(entry, profile)
        self.lines[key] = out.line
        if email:
            entry.contacts.append(DirectoryContact(email=email, name=contact_name, job_title=job, is_primary=True))
        self._tag(entry, tags)
        out.outcome = "added"
        look = self.folded.get(accent_folded(duplicate_key(profile["name"])))
        if look is not None and look is not entry:
            out.reason = f"Added; note that {look.display_name} has the same letters with different accents."
        return out

    def _update(self, out, key, entry, profile, email, contact_name, job, tags) -> ImportRow:
        changed = []
        if entry.organisation_id is None:
            for name, value in profile.items():
                if name != "name" and value not in (None, [], "") and getattr(entry, name) in (None, [], ""):
                    setattr(entry, name, value)
                    changed.append(name.replace("_", " "))
        if email and all(c.email != email for c in entry.contacts):
            entry.contacts.append(
                DirectoryContact(email=email, name=contact_name, job_title=job, is_primary=not entry.contacts)
            )
            changed.append(f"contact {email}")
        if self._tag(entry, tags):
            changed.append("tags")
        first = self.lines.get(key)
        if not changed:
            out.outcome = "skipped"
            out.reason = f"The same as line {first}." if first else "Already in your directory; nothing new."
            return out
        entry.updated_at = self.now
        out.outcome = "updated"
        out.reason = (
            f"The same organisation as line {first}, with another email: added as a second contact."
            if first and email
            else "Added " + ", ".join(changed) + "."
        )
        self.lines.setdefault(key, out.line)
        return out

    def _tag(self, entry: DirectoryEntry, names: list[str]) -> bool:
        added = False
        for name in names:
            tag = self.tags.get(name.casefold())
            if tag is None:
                tag = self.tags[name.casefold()] = DirectoryTag(
                    body_id=self.body_id, name=name, name_key=name.casefold()
                )
            if tag not in entry.tags:
                entry.tags.append(tag)
                added = True
        return added


audit_kinds.declare(
    "directory.imported",
    lambda e: (
        f"{e.actor} imported organisations into the directory: {e.after.get('added', 0):,} added, "
        f"{e.after.get('updated', 0):,} updated, {e.after.get('skipped', 0):,} skipped and "
        f"{e.after.get('refused', 0):,} refused."
    ),
    title="Directory import",
)
