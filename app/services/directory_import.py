"""Importing organisations and contacts into a body's directory from CSV or XLSX, with a report per row.

Rows are added, updated (new contacts, tags or blank profile fields filled), skipped (nothing new) or
refused (with the reason; offered back for correcting). A possible duplicate is refused, not merged.
Raises ValidationFailed (field ``file``) when the whole file is refused: then nothing is saved.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from app.extensions import db
from app.imports import Column, TableRefused, TableRow, offer_back, read_table
from app.infra import clock
from app.models import DirectoryContact, DirectoryEntry, DirectoryTag, Organisation, User
from app.models.directory import entry_tags
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
    report.rows = [run.take(row, table.width) for row in table.rows]  # every row checked before anything is written
    run.save()
    audit.record(
        "directory.imported",
        actor=actor,
        after={o: report.count(o) for o in ("added", "updated", "skipped", "refused")} | {"file": filename or "paste"},
    )
    return report


def _header_of(table) -> list[str]:
    labels = {c.key: c.label for c in COLUMNS}
    return [labels[k] for k in table.columns]


class _Entry:
    """One entry of the body as the import sees it: what is saved, and what this file adds to it."""

    __slots__ = ("changes", "display_name", "emails", "id", "key", "linked", "new", "profile", "tag_keys")

    def __init__(self, id, key, display_name, linked, profile, emails=None, tag_keys=None):
        self.id, self.key, self.display_name, self.linked, self.profile = id, key, display_name, linked, profile
        self.emails: set[str] = emails or set()
        self.tag_keys: set[str] = tag_keys or set()
        self.new: dict | None = None  #: the values of an entry this file adds
        self.changes: dict = {}  #: blank profile fields of a saved entry this file fills


class _Run:
    """One import: the body's entries, contacts and tags read once; every row checked in memory; then the
    new and changed rows written in bulk (one statement per table)."""

    def __init__(self, actor: User, body_id: int):
        self.actor, self.body_id, self.now = actor, body_id, clock.now()
        E, Org = DirectoryEntry, Organisation
        self.entries: dict[str, _Entry] = {}
        by_id: dict[int, _Entry] = {}
        fields = ("name", "identifier", "homes_owned", "regions", "website")
        columns = (
            [E.id, E.name_key, E.organisation_id] + [getattr(E, f) for f in fields] + [getattr(Org, f) for f in fields]
        )
        rows = db.session.execute(
            sa.select(*columns).outerjoin(Org, Org.id == E.organisation_id).where(E.body_id == body_id).order_by(E.id)
        )
        for r in rows:
            own = r[8:13] if r.organisation_id is not None else r[3:8]
            profile = dict(zip(fields, own, strict=True))
            profile["regions"] = list(profile["regions"] or [])
            entry = _Entry(r.id, r.name_key, profile["name"], r.organisation_id is not None, profile)
            self.entries[r.name_key] = by_id[r.id] = entry
        in_body = sa.select(E.id).where(E.body_id == body_id)
        for entry_id, email in db.session.execute(
            sa.select(DirectoryContact.entry_id, DirectoryContact.email).where(DirectoryContact.entry_id.in_(in_body))
        ):
            by_id[entry_id].emails.add(email)
        self.tags: dict[str, list] = {}  #: name key -> [id or None, name]
        tag_keys: dict[int, str] = {}
        for tag_id, name, key in db.session.execute(
            sa.select(DirectoryTag.id, DirectoryTag.name, DirectoryTag.name_key).where(DirectoryTag.body_id == body_id)
        ):
            self.tags[key] = [tag_id, name]
            tag_keys[tag_id] = key
        for entry_id, tag_id in db.session.execute(
            sa.select(entry_tags.c.entry_id, entry_tags.c.tag_id).where(entry_tags.c.entry_id.in_(in_body))
        ):
            by_id[entry_id].tag_keys.add(tag_keys[tag_id])
        self.dup: dict[str, _Entry] = {}
        self.folded: dict[str, _Entry] = {}
        self.identifiers: dict[str, _Entry] = {}
        for entry in self.entries.values():
            self._index(entry, entry.profile)
        self.lines: dict[str, int] = {}  #: name key -> first line in this file
        self.contacts: list[dict] = []  #: new contacts: entry (a _Entry) and the contact's values
        self.links: list[tuple[_Entry, str]] = []  #: new (entry, tag key) pairs

    def _index(self, entry: _Entry, profile: dict) -> None:
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
        entry = _Entry(None, key, profile["name"], False, {"regions": []} | profile)
        entry.new = {"body_id": self.body_id, "name_key": key, "created_at": self.now, "updated_at": self.now}
        entry.new |= entry.profile
        self.entries[key] = entry
        self._index(entry, profile)
        self.lines[key] = out.line
        if email:
            self._contact(entry, email, contact_name, job)
        self._tag(entry, tags)
        out.outcome = "added"
        look = self.folded.get(accent_folded(duplicate_key(profile["name"])))
        if look is not None and look is not entry:
            out.reason = f"Added; note that {look.display_name} has the same letters with different accents."
        return out

    def _update(self, out, key, entry, profile, email, contact_name, job, tags) -> ImportRow:
        changed = []
        if not entry.linked:
            for name, value in profile.items():
                if name != "name" and value not in (None, [], "") and entry.profile.get(name) in (None, [], ""):
                    entry.profile[name] = value
                    (entry.new if entry.new is not None else entry.changes)[name] = value
                    changed.append(name.replace("_", " "))
        if email and email not in entry.emails:
            self._contact(entry, email, contact_name, job)
            changed.append(f"contact {email}")
        if self._tag(entry, tags):
            changed.append("tags")
        first = self.lines.get(key)
        if not changed:
            out.outcome = "skipped"
            out.reason = f"The same as line {first}." if first else "Already in your directory; nothing new."
            return out
        if entry.new is None:
            entry.changes["updated_at"] = self.now
        out.outcome = "updated"
        out.reason = (
            f"The same organisation as line {first}, with another email: added as a second contact."
            if first and email
            else "Added " + ", ".join(changed) + "."
        )
        self.lines.setdefault(key, out.line)
        return out

    def _contact(self, entry: _Entry, email: str, name: str, job: str) -> None:
        values = {"email": email, "name": name, "job_title": job, "is_primary": not entry.emails}
        self.contacts.append({"entry": entry} | values)
        entry.emails.add(email)

    def _tag(self, entry: _Entry, names: list[str]) -> bool:
        added = False
        for name in names:
            key = name.casefold()
            self.tags.setdefault(key, [None, name])
            if key not in entry.tag_keys:
                entry.tag_keys.add(key)
                self.links.append((entry, key))
                added = True
        return added

    def save(self) -> None:
        """Write what the rows added: new tags and entries (ids read back), changed entries, contacts, links."""
        session = db.session
        new_tags = [
            {"body_id": self.body_id, "name": v[1], "name_key": k} for k, v in self.tags.items() if v[0] is None
        ]
        if new_tags:
            for tag_id, key in session.execute(
                sa.insert(DirectoryTag).returning(DirectoryTag.id, DirectoryTag.name_key), new_tags
            ):
                self.tags[key][0] = tag_id
        new_entries = [e.new for e in self.entries.values() if e.new is not None]
        if new_entries:
            ids = dict(
                (key, entry_id)
                for entry_id, key in session.execute(
                    sa.insert(DirectoryEntry).returning(DirectoryEntry.id, DirectoryEntry.name_key), new_entries
                )
            )
            for e in self.entries.values():
                if e.new is not None:
                    e.id = ids[e.key]
        changed: dict[tuple, list[dict]] = {}  # one executemany per set of changed columns
        for e in self.entries.values():
            if e.new is None and e.changes:
                changed.setdefault(tuple(sorted(e.changes)), []).append({"id": e.id} | e.changes)
        for values in changed.values():
            session.execute(sa.update(DirectoryEntry), values)
        if self.contacts:
            contacts = [{k: v for k, v in c.items() if k != "entry"} for c in self.contacts]
            for values, c in zip(contacts, self.contacts, strict=True):
                values |= {"entry_id": c["entry"].id, "created_at": self.now}
            session.execute(sa.insert(DirectoryContact), contacts)
        if self.links:
            session.execute(
                sa.insert(entry_tags), [{"entry_id": e.id, "tag_id": self.tags[key][0]} for e, key in self.links]
            )
        # the bulk statements bypass the identity map: what the session already holds of this directory is stale
        for obj in list(session.identity_map.values()):
            if isinstance(obj, (DirectoryEntry, DirectoryContact, DirectoryTag)):
                session.expire(obj)


audit_kinds.declare(
    "directory.imported",
    lambda e: (
        f"{e.actor} imported organisations into the directory: {e.after.get('added', 0):,} added, "
        f"{e.after.get('updated', 0):,} updated, {e.after.get('skipped', 0):,} skipped and "
        f"{e.after.get('refused', 0):,} refused."
    ),
    title="Directory import",
)
