"""Models and service results as JSON: money as ``*_pence`` integers with a formatted string, times in ISO 8601."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.models import ApiToken, AuditEvent, Bid, BidOutcome, Invitation, JoinRequest, Pledge, PledgeRevision, User
from app.money import format_pence
from app.services.totals import MemberRow, Totals


def when(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with its offset, e.g. ``2026-08-14T16:00:00+00:00``."""
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def money(pence: int | None) -> str | None:
    return format_pence(pence) if pence is not None else None


def page(items: list[Any], *, page: int, per_page: int, total: int) -> dict[str, Any]:
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def slice_page(rows: list[Any], page_number: int, per_page: int) -> list[Any]:
    start = (page_number - 1) * per_page
    return rows[start : start + per_page]


def user(u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "name": u.name,
        "email": u.email,
        "role": str(u.role),
        "organisation": {"id": u.organisation_id, "name": u.organisation.name},
    }


def bid(b: Bid, figures: Totals | None = None, *, amounts_visible: bool = True) -> dict[str, Any]:
    out = {
        "id": b.id,
        "title": b.title,
        "funder_name": b.funder_name,
        "scheme": b.scheme,
        "summary": b.summary,
        "terms": b.terms,
        "status": str(b.status),
        "target_pence": b.target_pence,
        "target": money(b.target_pence),
        "target_homes": b.target_homes,
        "min_pledge_pence": b.min_pledge_pence,
        "min_total_pence": b.min_total_pence,
        "min_members": b.min_members,
        "show_amounts": b.show_amounts,
        "grace_minutes": b.grace_minutes,
        "deadline": when(b.deadline),
        "convening_body": {"id": b.organisation_id, "name": b.organisation.name},
        "version": b.version,
        "created_at": when(b.created_at),
        "opened_at": when(b.opened_at),
        "closed_at": when(b.closed_at),
    }
    if figures is not None:
        out["totals"] = totals(b, figures, amounts_visible=amounts_visible)
    return out


def totals(b: Bid, t: Totals, *, amounts_visible: bool) -> dict[str, Any]:
    """The headline figures; members of a bid that hides amounts get the regions without amounts."""
    regions = []
    for r in t.regions:
        row: dict[str, Any] = {"code": r.code, "name": r.name, "members": r.members}
        if amounts_visible:
            row.update(amount_pence=r.amount_pence, amount=money(r.amount_pence), homes=r.homes)
        regions.append(row)
    return {
        "status": str(b.status),
        "deadline": when(b.deadline),
        "as_of": when(t.as_of),
        "pledged_pence": t.pledged_pence,
        "pledged": money(t.pledged_pence),
        "target_pence": t.target_pence,
        "target": money(t.target_pence),
        "percent": t.percent,
        "confirmed_pence": t.confirmed_pence,
        "indicative_pence": t.indicative_pence,
        "homes": t.homes,
        "target_homes": t.target_homes,
        "members_pledged": t.members_pledged,
        "confirmed_members": t.confirmed_members,
        "invited": t.invited,
        "accepted": t.accepted,
        "declined": t.declined,
        "not_responded": t.not_responded,
        "expired": t.expired,
        "by_region": regions,
        "thresholds": [
            {"label": x.label, "required": x.required, "actual": x.actual, "met": x.met} for x in t.thresholds
        ],
    }


def pledge(p: Pledge) -> dict[str, Any]:
    return {
        "id": p.id,
        "bid_id": p.bid_id,
        "organisation": {"id": p.organisation_id, "name": p.organisation.name},
        "amount_pence": p.amount_pence,
        "amount": money(p.amount_pence),
        "homes": p.homes,
        "regions": list(p.regions or []),
        "statement": p.statement,
        "status": str(p.status),
        "in_grace": p.in_grace,
        "released_at": when(p.released_at),
        "version": p.version,
        "created_at": when(p.created_at),
        "updated_at": when(p.updated_at),
        "updated_by": p.updated_by.name if p.updated_by else None,
    }


def member_row(m: MemberRow) -> dict[str, Any]:
    return {
        "id": m.pledge_id,
        "organisation": {"id": m.organisation_id, "name": m.organisation_name, "identifier": m.identifier},
        "amount_pence": m.amount_pence,
        "amount": money(m.amount_pence),
        "homes": m.homes,
        "regions": list(m.regions),
        "statement": m.statement,
        "status": m.status,
        "in_grace": m.in_grace,
        "has_letter": m.has_letter,
        "created_at": when(m.created_at),
        "updated_at": when(m.updated_at),
    }


def revision(r: PledgeRevision) -> dict[str, Any]:
    return {
        "version": r.version,
        "action": r.action,
        "actor": {"id": r.actor.id, "name": r.actor.name} if r.actor else None,
        "created_at": when(r.created_at),
        "before": r.before,
        "after": r.after,
    }


def invitation(i: Invitation, state: str, *, awaiting_approval: bool = False) -> dict[str, Any]:
    match = i.possible_organisation if i.possible_organisation_id and not i.organisation_id else None
    return {
        "id": i.id,
        "organisation_name": i.organisation_name,
        "email": i.email,
        "state": state,
        "organisation_id": i.organisation_id,
        "sent_at": when(i.sent_at),
        "expires_at": when(i.expires_at),
        "responded_at": when(i.responded_at),
        "send_count": i.send_count,
        "decline_reason": i.decline_reason,
        "possible_match": match.name if match else None,
        "awaiting_approval": awaiting_approval,
    }


def join_request(r: JoinRequest) -> dict[str, Any]:
    bid = r.invitation.bid
    return {
        "id": r.id,
        "name": r.name,
        "email": r.email,
        "status": str(r.status),
        "created_at": when(r.created_at),
        "decided_at": when(r.decided_at),
        "invited_by": bid.organisation.name,
        "bid": {"id": bid.id, "title": bid.title},
        "invited_as": r.invitation.organisation_name,
    }


def audit_event(e: AuditEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "created_at": when(e.created_at),
        "action": e.action,
        "actor": {"id": e.actor.id, "name": e.actor.name} if e.actor else None,
        "organisation_id": e.organisation_id,
        "subject_type": e.subject_type,
        "subject_id": e.subject_id,
        "before": e.before,
        "after": e.after,
    }


def api_token(t: ApiToken) -> dict[str, Any]:
    return {"id": t.id, "name": t.name, "prefix": t.prefix, "created_at": when(t.created_at)}


def outcome(outcome: BidOutcome) -> dict[str, Any]:
    return {
        "result": outcome.result,
        "amount_awarded_pence": outcome.amount_awarded_pence,
        "amount_awarded": money(outcome.amount_awarded_pence) if outcome.amount_awarded_pence else None,
        "award_date": _day(outcome.award_date),
        "grant_reference": outcome.grant_reference,
        "conditions": outcome.conditions,
        "spend_by": _day(outcome.spend_by),
        "grants_due_by": _day(outcome.grants_due_by),
        "reason": outcome.reason,
        "feedback": outcome.feedback,
        "delivery_closed_at": when(outcome.delivery_closed_at),
        "recorded_at": when(outcome.recorded_at),
        "updated_at": when(outcome.updated_at),
        "version": outcome.version,
    }


def _day(value) -> str | None:
    return value.isoformat() if value else None
