"""The convenor's daily digest of an open bid: the last 24 hours, the gap to target, who has not answered.

Sent once per London day per convenor per bid, at the first sweep after ``DIGEST_HOUR`` (London time),
to convenors who have not opted out, and only when there is something to report (``Digest.has_news``).
Claimed by a ConvenorSend row keyed ``digest:<London date>``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app import notifications
from app.extensions import db
from app.infra import clock, sweeps, units
from app.infra.links import path_for
from app.models import Bid, BidEvent, ConvenorSend, Invitation, InvitationStatus, Role, User
from app.money import format_pence
from app.services import audit, totals
from app.services.errors import ValidationFailed
from app.services.notices import claim_convenor

MAX_LINES = 50


@dataclass
class Digest:
    """What a convenor reads about one bid."""

    bid: Bid
    since: datetime
    changes: list[str] = field(default_factory=list)
    more_changes: int = 0
    figures: totals.Totals | None = None
    gap_pence: int = 0
    not_answered: list[str] = field(default_factory=list)
    expired: int = 0
    #: changes made by the members in the window (pledges, answers), not the convenors' own changes to the bid
    member_changes: int = 0

    @property
    def has_news(self) -> bool:
        """Worth an email: a member did something in the last 24 hours, or someone invited has still to answer.
        A bid with no invitations, or where nothing happened and nobody is waiting, gets no digest."""
        return bool(self.member_changes or self.not_answered)


def describe_event(event: BidEvent) -> str:
    """One line for one bid event, in plain words."""
    p = event.payload or {}
    org = p.get("organisation") or "An organisation"
    amount = format_pence(p["amount_pence"]) if isinstance(p.get("amount_pence"), int) else ""
    kind = event.kind
    if kind == "pledge.created":
        return f"{org} pledged {amount} ({p.get('status', '')})"
    if kind == "pledge.amended":
        previous = p.get("previous_amount_pence")
        changed = isinstance(previous, int) and previous != p.get("amount_pence")
        was = f" from {format_pence(previous)}" if changed else ""
        return f"{org} changed its pledge{was} to {amount} ({p.get('status', '')})"
    if kind == "pledge.confirmed":
        return f"{org} confirmed its pledge of {amount}"
    if kind == "pledge.withdrawn":
        return f"{org} withdrew its pledge"
    if kind == "pledge.reinstated":
        return f"{org} pledged again: {amount}"
    if kind == "invitation.accepted":
        return f"{org} joined the bid"
    if kind == "invitation.declined":
        return f"{org} declined the invitation"
    if kind in ("bid.extended", "bid.reopened"):
        when = p.get("deadline")
        moment = datetime.fromisoformat(when) if isinstance(when, str) else None
        return f"The deadline was moved to {clock.format_uk(moment)}" if moment else "The deadline was moved"
    if kind == "bid.status":
        return f"The bid became {p.get('status', '')}"
    if kind == "bid.edited":
        return f"The bid's details were edited ({', '.join(p.get('fields', []))})"
    return kind


def build(bid: Bid, now: datetime) -> Digest:
    """The digest of one bid as it stands at ``now`` (a fixed number of queries)."""
    since = now - timedelta(hours=24)
    digest = Digest(bid=bid, since=since)
    events = db.session.scalars(
        sa.select(BidEvent)
        .where(BidEvent.bid_id == bid.id, BidEvent.created_at > since, BidEvent.created_at <= now)
        .order_by(BidEvent.id)
    ).all()
    lines = [describe_event(e) for e in events]
    digest.member_changes = sum(1 for e in events if not e.kind.startswith("bid."))
    digest.changes, digest.more_changes = lines[:MAX_LINES], max(0, len(lines) - MAX_LINES)
    digest.figures = totals.compute(bid)
    digest.gap_pence = max(0, bid.target_pence - digest.figures.pledged_pence)
    for name, expires_at in db.session.execute(
        sa.select(Invitation.organisation_name, Invitation.expires_at)
        .where(Invitation.bid_id == bid.id, Invitation.status == InvitationStatus.SENT)
        .order_by(Invitation.organisation_name)
    ):
        if expires_at > now:
            digest.not_answered.append(name)
        else:
            digest.expired += 1
    return digest


def send_due(now: datetime | None = None) -> dict:
    """Send today's digests not yet sent. Nothing before DIGEST_HOUR London time. One unit of work per bid."""
    now = now or clock.now()
    local = clock.to_london(now)
    if local.hour < current_app.config.get("DIGEST_HOUR", 8):
        return {"sent": 0}
    key = f"digest:{local.date().isoformat()}"
    open_bids = dict(
        db.session.execute(sa.select(Bid.id, Bid.organisation_id).where(Bid.is_before_deadline(now))).all()
    )
    if not open_bids:
        units.end_read()
        return {"sent": 0}
    readers: dict[int, list[User]] = defaultdict(list)
    for user in db.session.scalars(
        sa.select(User).where(
            User.organisation_id.in_(set(open_bids.values())),
            User.role == Role.CONVENOR,
            User.is_enabled.is_(True),
            User.digest_opt_out.is_(False),
        )
    ):
        readers[user.organisation_id].append(user)
    done = set(
        db.session.execute(
            sa.select(ConvenorSend.bid_id, ConvenorSend.user_id).where(
                ConvenorSend.key == key, ConvenorSend.bid_id.in_(list(open_bids))
            )
        ).all()
    )
    todo = {bid_id: [u for u in readers[org_id] if (bid_id, u.id) not in done] for bid_id, org_id in open_bids.items()}

    def send_for(bid_id: int) -> int:
        users, sent = todo[bid_id], 0
        bid = db.session.get(Bid, bid_id)
        digest = build(bid, now)
        if not digest.has_news:
            return 0  # not claimed: if a member acts later today, that day's digest still goes
        subject = f"Daily digest: {bid.title} – {format_pence(digest.figures.pledged_pence)} pledged"
        for user in users:
            if claim_convenor(
                bid,
                user,
                key,
                now,
                lambda user=user, bid=bid, digest=digest, subject=subject: notifications.queue(
                    user.email,
                    "digest",
                    subject,
                    bid=bid,
                    user=user,
                    digest=digest,
                    left=clock.format_remaining(bid.deadline, now),
                    link=path_for("bids.show", bid_id=bid.id),
                    account_link=path_for("auth.account"),
                ),
            ):
                sent += 1
        return sent

    done_units = units.each([bid_id for bid_id, users in todo.items() if users], send_for, what="digest for bid")
    units.end_read()
    return {"sent": sum(sent for _bid_id, sent in done_units)}


@sweeps.step("digest", order=30)
def _sweep_step() -> dict:
    return {"digests": send_due()["sent"]}


def set_opt_out(user: User, opt_out: bool) -> User:
    """Turn the daily digest off or on for this user."""
    if not isinstance(opt_out, bool):
        raise ValidationFailed({"digest_opt_out": ["Choose whether to receive the daily digest."]})
    if user.digest_opt_out == opt_out:
        return user
    user.digest_opt_out = opt_out
    db.session.flush()
    audit.record("user.digest_preference", actor=user, subject=user, after={"digest_opt_out": opt_out})
    return user
