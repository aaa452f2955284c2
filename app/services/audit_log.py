"""A bid's audit log for people: each event as a sentence (app.services.audit_kinds) naming the person and the
organisation it concerns, filtered by organisation, person, kind and date range, a page at a time, and as CSV.

Raises nothing: an unknown filter value matches no events.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.exports.tabular import safe_text
from app.extensions import db
from app.infra import clock
from app.models import AuditEvent, Bid, Invitation, JoinRequest, Letter, Organisation, Pledge, User
from app.services import audit_kinds
from app.services.audit_kinds import Entry

#: subjects that name the organisation an event concerns (otherwise the event's own organisation does)
_SUBJECT_ORGANISATION = {"Invitation": Invitation, "Pledge": Pledge, "Letter": Letter, "JoinRequest": JoinRequest}


@dataclass(frozen=True)
class Filters:
    organisation_id: int | None = None
    actor_id: int | None = None
    action: str | None = None
    #: London days, inclusive
    since: date | None = None
    until: date | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.organisation_id, self.actor_id, self.action, self.since, self.until))


@dataclass(frozen=True)
class Row:
    event: AuditEvent
    sentence: str
    actor: str
    organisation: str | None
    #: (field, before, after) in words, for the expanded details
    changes: list[tuple[str, str | None, str | None]]
    raw_before: str
    raw_after: str


def _where(bid: Bid, filters: Filters) -> list:
    clauses = [AuditEvent.bid_id == bid.id]
    if filters.actor_id is not None:
        clauses.append(AuditEvent.actor_id == filters.actor_id)
    if filters.action:
        clauses.append(AuditEvent.action == filters.action)
    if filters.since is not None:
        clauses.append(AuditEvent.created_at >= clock.from_london(filters.since, time(0)))
    if filters.until is not None:
        clauses.append(AuditEvent.created_at < clock.from_london(filters.until + timedelta(days=1), time(0)))
    if filters.organisation_id is not None:
        org = filters.organisation_id
        by_subject = [
            sa.and_(
                AuditEvent.subject_type == name,
                AuditEvent.subject_id.in_(sa.select(model.id).where(model.organisation_id == org)),
            )
            for name, model in _SUBJECT_ORGANISATION.items()
        ]
        clauses.append(
            sa.or_(
                *by_subject,
                sa.and_(
                    sa.or_(AuditEvent.subject_type.is_(None), AuditEvent.subject_type.not_in(_SUBJECT_ORGANISATION)),
                    AuditEvent.organisation_id == org,
                ),
            )
        )
    return clauses


def page(bid: Bid, filters: Filters, *, page: int = 1, per_page: int = 50) -> tuple[list[Row], int]:
    """A page of the bid's events matching ``filters``, newest first, and how many match in all."""
    where = _where(bid, filters)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(*where)) or 0
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(*where)
        .options(joinedload(AuditEvent.actor).joinedload(User.organisation))
        .order_by(AuditEvent.id.desc())
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    return rows(events), total


def rows(events: list[AuditEvent]) -> list[Row]:
    """The events in words, resolving each one's organisation in a fixed number of queries."""
    names = _organisation_names(events)
    out = []
    for event in events:
        organisation, link_for = names.get(event.id, (None, None))
        actor = _actor(event, link_for, organisation)
        entry = Entry(
            event.action,
            actor,
            organisation,
            event.before if isinstance(event.before, dict) else {},
            event.after if isinstance(event.after, dict) else {},
        )
        out.append(
            Row(
                event,
                audit_kinds.describe(entry),
                actor,
                organisation,
                audit_kinds.differences(entry),
                _json_text(event.before),
                _json_text(event.after),
            )
        )
    return out


def _actor(event: AuditEvent, link_for: str | None, organisation: str | None) -> str:
    """The person and their organisation (left out when it is the organisation the row is about, named above)."""
    if event.actor is not None:
        org = event.actor.organisation.name if event.actor.organisation else None
        return f"{event.actor.name} ({org})" if org and org != organisation else event.actor.name
    if event.subject_type == "Invitation" and link_for:
        return f"The invitation link for {link_for}"
    return "The system"


def _organisation_names(events: list[AuditEvent]) -> dict[int, tuple[str | None, str | None]]:
    """event id → (the organisation it concerns, the organisation an invitation link was for)."""
    wanted: dict[str, set[int]] = {}
    for e in events:
        if e.subject_type in _SUBJECT_ORGANISATION and e.subject_id is not None:
            wanted.setdefault(e.subject_type, set()).add(e.subject_id)
    subject_org: dict[tuple[str, int], int | None] = {}
    invitation_names: dict[int, str] = {}
    for name, ids in wanted.items():
        model = _SUBJECT_ORGANISATION[name]
        if model is Invitation:
            for iid, org_id, org_name in db.session.execute(
                sa.select(Invitation.id, Invitation.organisation_id, Invitation.organisation_name).where(
                    Invitation.id.in_(ids)
                )
            ):
                subject_org[(name, iid)] = org_id
                invitation_names[iid] = org_name
        else:
            for sid, org_id in db.session.execute(sa.select(model.id, model.organisation_id).where(model.id.in_(ids))):
                subject_org[(name, sid)] = org_id
    org_ids = {v for v in subject_org.values() if v is not None} | {
        e.organisation_id for e in events if e.organisation_id is not None
    }
    org_names = (
        dict(
            db.session.execute(sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))).all()
        )
        if org_ids
        else {}
    )
    out = {}
    for e in events:
        link_for = None
        if e.subject_type in _SUBJECT_ORGANISATION:
            org_id = subject_org.get((e.subject_type, e.subject_id))
            name = org_names.get(org_id) if org_id is not None else None
            if e.subject_type == "Invitation":
                link_for = invitation_names.get(e.subject_id)
                name = name or link_for
        else:
            name = org_names.get(e.organisation_id) if e.organisation_id is not None else None
        out[e.id] = (name, link_for)
    return out


def options(bid: Bid) -> dict[str, list[tuple[str, str]]]:
    """The filter's choices: the organisations the bid's events concern, the people who acted, the kinds seen."""
    org_ids = set(
        db.session.scalars(
            sa.select(Invitation.organisation_id).where(
                Invitation.bid_id == bid.id, Invitation.organisation_id.is_not(None)
            )
        )
    ) | {bid.organisation_id}
    organisations = db.session.execute(
        sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids)).order_by(Organisation.name)
    ).all()
    people = db.session.execute(
        sa.select(User.id, User.name)
        .where(User.id.in_(sa.select(AuditEvent.actor_id).where(AuditEvent.bid_id == bid.id)))
        .order_by(User.name)
    ).all()
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.bid_id == bid.id).distinct().order_by(AuditEvent.action)
    ).all()
    return {
        "organisations": [(str(i), n) for i, n in organisations],
        "people": [(str(i), n) for i, n in people],
        "kinds": sorted(((a, audit_kinds.title(a)) for a in actions), key=lambda kind: kind[1]),
    }


#: The audit CSV's columns, in order: the raw record, then the sentence and the organisation it concerns.
CSV_COLUMNS = (
    "id",
    "when_utc",
    "actor",
    "actor_email",
    "action",
    "subject",
    "before",
    "after",
    "ip_address",
    "when_uk",
    "organisation",
    "description",
)


def export_csv(bid: Bid, filters: Filters | None = None) -> bytes:
    """The bid's events matching ``filters`` (all of them by default), oldest first, as CSV (UTF-8 with a BOM so
    spreadsheets read it right), raw values and the sentence side by side.

    Every cell of text a person typed goes through ``safe_text``: a name or value starting with ``=``, ``+``,
    ``-`` or ``@`` cannot run as a formula when the file is opened.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(*_where(bid, filters or Filters()))
        .options(joinedload(AuditEvent.actor).joinedload(User.organisation))
        .order_by(AuditEvent.id)
    ).all()
    for start in range(0, len(events), 500):
        for row in rows(list(events[start : start + 500])):
            event = row.event
            subject = f"{event.subject_type} {event.subject_id}" if event.subject_type else ""
            writer.writerow(
                [
                    event.id,
                    event.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    safe_text(event.actor.name if event.actor else row.actor),
                    safe_text(event.actor.email if event.actor else ""),
                    safe_text(event.action),
                    safe_text(subject),
                    safe_text(row.raw_before),
                    safe_text(row.raw_after),
                    safe_text(event.ip_address or ""),
                    clock.format_uk(event.created_at),
                    safe_text(row.organisation or ""),
                    safe_text(row.sentence),
                ]
            )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def parse_day(value: str | None) -> date | None:
    """A ``YYYY-MM-DD`` filter value, or None when it is empty or not a date."""
    try:
        return datetime.strptime((value or "").strip(), "%Y-%m-%d").date()
    except ValueError:
        return None


def _json_text(value) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
