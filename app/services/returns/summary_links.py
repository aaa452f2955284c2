"""The summary report sent to everyone who submitted: one private, expiring, revocable link per organisation
(as funder links are: a signed token whose SHA-256 alone is stored), opening the members' view of the report
for the range of periods sent, with no login. The report a link opens is the same for every organisation: the
consortium's figures with every total from fewer than 3 organisations suppressed, never one organisation's own.

Raises PermissionDenied, NotFound, ValidationFailed and TokenInvalid (``reason`` "tampered", "expired" or
"revoked").
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app import notifications
from app.extensions import db
from app.infra import clock, tokens
from app.models import COUNTED, ImpactReturn, Organisation, Programme, SummaryLink, User
from app.services import audit, audit_kinds, private_links
from app.services.errors import NotFound, PermissionDenied, require
from app.services.returns import totals
from app.services.returns.programmes import is_convenor

PURPOSE = "return-summary"
LISTED = 500


def _span(programme: Programme, from_key: str, to_key: str) -> list[int]:
    keys = [p.key for p in programme.periods]
    if from_key not in keys or to_key not in keys or keys.index(from_key) > keys.index(to_key):
        require({"from_period": ["Choose a range of the programme's periods, first to last."]})
    return [p.id for p in programme.periods[keys.index(from_key) : keys.index(to_key) + 1]]


def send_summary(actor: User, programme: Programme, from_key: str, to_key: str) -> list[tuple[SummaryLink, str]]:
    """Email one person at each organisation that submitted in the range (its manager first) a private link to
    the summary report. Returns the links made and their tokens (shown to no one but the email)."""
    if not is_convenor(actor, programme):
        raise PermissionDenied("Only the convening body's convenors can send the summary.")
    chosen = _span(programme, from_key, to_key)
    rows = db.session.execute(
        sa.select(User.organisation_id, User.email, User.name)
        .where(
            User.organisation_id.in_(
                sa.select(ImpactReturn.organisation_id).where(
                    ImpactReturn.period_id.in_(chosen), ImpactReturn.status.in_(COUNTED)
                )
            ),
            User.is_enabled.is_(True),
        )
        .order_by(User.organisation_id, User.is_manager.desc(), User.id)
    ).all()
    first: dict[int, tuple[str, str]] = {}
    for org_id, email, name in rows:
        first.setdefault(org_id, (email, name))
    now = clock.now()
    expires = now + timedelta(days=current_app.config["SUMMARY_LINK_DAYS"])
    links = [
        SummaryLink(
            programme_id=programme.id,
            organisation_id=org_id,
            from_period=from_key,
            to_period=to_key,
            email=email,
            token_hash=secrets.token_hex(32),  # replaced below, once the id the token signs is known
            expires_at=expires,
            created_by_id=actor.id,
            created_at=now,
        )
        for org_id, (email, _) in first.items()
    ]
    db.session.add_all(links)
    db.session.flush()
    made = []
    for link in links:
        token, link.token_hash = tokens.make(PURPOSE, link.id)
        made.append((link, token))
    db.session.flush()
    span = from_key if from_key == to_key else f"{from_key} to {to_key}"
    messages = [
        notifications.render(
            link.email,
            "return_summary",
            f"Summary: {programme.title}, {span}",
            programme=programme,
            name=first[link.organisation_id][1],
            span=span,
            link=f"/s/{token}",
            expires_at=link.expires_at,
        )
        for link, token in made
    ]
    notifications.queue_all(messages)
    audit.record(
        "return.summary_sent",
        actor=actor,
        subject=programme,
        after={"from": from_key, "to": to_key, "organisations": len(made), "expires_at": expires.isoformat()},
    )
    return made


def links_for(actor: User, programme: Programme) -> list[tuple[SummaryLink, str]]:
    """The programme's summary links, newest first, with the organisation's name (the latest ``LISTED``)."""
    if not is_convenor(actor, programme):
        raise PermissionDenied("Only the convening body's convenors can see the summary links.")
    rows = db.session.execute(
        sa.select(SummaryLink, Organisation.name)
        .join(Organisation, Organisation.id == SummaryLink.organisation_id)
        .where(SummaryLink.programme_id == programme.id)
        .order_by(SummaryLink.id.desc())
        .limit(LISTED)
    ).all()
    return [(link, name) for link, name in rows]


def revoke_link(actor: User, programme: Programme, link_id: int) -> SummaryLink:
    """Stop a link working at once. Revoking twice is harmless."""
    if not is_convenor(actor, programme):
        raise PermissionDenied("Only the convening body's convenors can withdraw a summary link.")
    link = db.session.get(SummaryLink, link_id)
    if link is None or link.programme_id != programme.id:
        raise NotFound("No such link.")
    if link.revoked_at is None:
        link.revoked_at = clock.now()
        audit.record(
            "return.summary_link_revoked",
            actor=actor,
            subject=link,
            after={"organisation_id": link.organisation_id, "from": link.from_period, "to": link.to_period},
        )
    return link


def link_state(link: SummaryLink) -> str:
    return private_links.state(link)


def open_link(token: str) -> SummaryLink:
    """The link a token opens, if it is genuine, unrevoked and unexpired."""
    link = private_links.signed_link(
        SummaryLink,
        PURPOSE,
        token,
        expired="This link has expired. Ask the convenor for a new one if you still need it.",
    )
    return link


def report_for(link: SummaryLink) -> tuple[Programme, list[dict], list[tuple[str, str, str]]]:
    """What the link's report shows: the members' figures (small numbers suppressed) for its range, and the
    stories their organisations let be quoted."""
    programme = db.session.get(Programme, link.programme_id)
    rows = totals.for_members(totals.series(programme))
    keys = [r["period"] for r in rows]
    if link.from_period not in keys or link.to_period not in keys:
        raise NotFound("The periods of this report no longer exist.")
    rows = rows[keys.index(link.from_period) : keys.index(link.to_period) + 1]
    return programme, rows, totals.shared_stories(programme, [r["period"] for r in rows])


audit_kinds.declare(
    "return.summary_sent",
    lambda e: (
        f"{e.actor} sent the summary report to the {e.after.get('organisations', 0):,} organisations that "
        "submitted, each with a private link."
    ),
    title="Summary report sent",
)
audit_kinds.declare(
    "return.summary_link_revoked",
    lambda e: f"{e.actor} withdrew an organisation's link to the summary report.",
    title="Summary report link withdrawn",
)
