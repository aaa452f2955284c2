"""Emails about a bid's deadline: the closing notices and the deadline-change notices.

Called by app.services.bids inside the transaction that closes, extends or reopens the bid, so the notices
are queued with the change (and sent after commit) whoever made it: a convenor's button or the scheduler.
Each is claimed by a row under a unique constraint (ReminderSend per organisation, ConvenorSend per
convenor), so nobody is told twice about the same event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app import notifications
from app.extensions import db
from app.infra import claims, clock
from app.infra.links import path_for
from app.models import (
    Bid,
    ConvenorSend,
    Invitation,
    InvitationStatus,
    Pledge,
    ReminderSend,
    ReminderSlot,
    Role,
    User,
)
from app.money import format_pence
from app.notifications.bulk import Letter, render_many
from app.services import invitation_links, totals
from app.services.reminder_plan import Slot, deadline_key, describe


def _member_organisations(bid: Bid) -> dict[int, tuple[Invitation, list[User]]]:
    """Organisations that joined the bid: the first accepted invitation of each, and its enabled users."""
    accepted = db.session.scalars(
        sa.select(Invitation)
        .where(Invitation.bid_id == bid.id, Invitation.status == InvitationStatus.ACCEPTED)
        .order_by(Invitation.id)
    ).all()
    first: dict[int, Invitation] = {}
    for invitation in accepted:
        if invitation.organisation_id is not None:
            first.setdefault(invitation.organisation_id, invitation)
    people: dict[int, list[User]] = defaultdict(list)
    if first:
        for user in db.session.scalars(
            sa.select(User)
            .where(User.organisation_id.in_(list(first)), User.role == Role.MEMBER, User.is_enabled.is_(True))
            .order_by(User.id)
        ):
            people[user.organisation_id].append(user)
    return {org_id: (invitation, people[org_id]) for org_id, invitation in first.items()}


NO_ACCOUNT = "No one at the organisation has an active account."


def _claim_all(bid: Bid, slot: str, kind: str, now: datetime, batch: list[tuple[Invitation, Callable]]) -> int:
    """Claim (invitation, slot) for each item and queue the emails its ``build()`` renders (outbox rows, see
    app.notifications.bulk); returns the number claimed. One SAVEPOINT for the whole batch, with one INSERT for
    its emails and one for its claims; if a claim clashes, the batch is undone and each item is claimed in its
    own SAVEPOINT, skipping those already claimed (app.infra.claims)."""

    def claim(items: list[tuple[Invitation, Callable]]) -> None:
        built = [(invitation, build()) for invitation, build in items]
        email_ids = iter(notifications.queue_rows([m for _, messages in built for m in messages]))
        rows = []
        for invitation, messages in built:
            ids = [next(email_ids) for _ in messages]
            rows.append(
                {
                    "bid_id": bid.id,
                    "invitation_id": invitation.id,
                    "slot": slot,
                    "kind": kind,
                    "outcome": "sent" if ids else "skipped",
                    "note": None if ids else NO_ACCOUNT,
                    "email_id": ids[0] if ids else None,
                    "created_at": now,
                }
            )
        db.session.execute(sa.insert(ReminderSend.__table__), rows)

    return len(claims.in_batch(batch, claim, what=f"{slot} notices of bid {bid.id}"))


def claim_convenors(bid: Bid, users: list[User], key: str, now: datetime, render: Callable) -> int:
    """Claim (bid, convenor, key) for each user and queue the emails ``render(users)`` gives (outbox rows, one
    per user), in one SAVEPOINT with one INSERT each; one by one if a claim clashes. Returns the number claimed."""

    def claim(batch: list[User]) -> None:
        email_ids = notifications.queue_rows(render(batch))
        rows = [
            {"bid_id": bid.id, "user_id": user.id, "key": key, "email_id": email_id, "created_at": now}
            for user, email_id in zip(batch, email_ids, strict=True)
        ]
        db.session.execute(sa.insert(ConvenorSend.__table__), rows)

    return len(claims.in_batch(users, claim, what=f"{key} for the convenors of bid {bid.id}"))


def claim_convenor(bid: Bid, user: User, key: str, now: datetime, send) -> bool:
    """Claim (bid, convenor, key) in a SAVEPOINT and queue the email. False when it was already claimed."""
    try:
        with db.session.begin_nested():
            row = ConvenorSend(bid_id=bid.id, user_id=user.id, key=key, created_at=now)
            db.session.add(row)
            db.session.flush()
            row.email_id = send().id
    except IntegrityError:
        return False
    return True


def convenors_of(bid: Bid) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.organisation_id == bid.organisation_id,
                User.role == Role.CONVENOR,
                User.is_enabled.is_(True),
            )
            .order_by(User.id)
        )
    )


def bid_closed(bid: Bid, *, reason: str) -> dict:
    """The convenors' closing summary and every member's "the bid has closed; your pledge stands at …" note."""
    now = clock.now()
    key = f"closed@{deadline_key(bid.deadline)}"
    figures = totals.compute(bid)
    dashboard = path_for("bids.show", bid_id=bid.id)
    early = reason != "deadline"
    told = {"convenors": 0, "members": 0}
    subject = f"{bid.title} has closed: {_money(figures.pledged_pence)} pledged"
    told["convenors"] = claim_convenors(
        bid,
        convenors_of(bid),
        key,
        now,
        lambda users: render_many(
            "bid_closed_convenor",
            bid,
            [Letter(user.email, subject, {"user": user}) for user in users],
            totals=figures,
            early=early,
            link=dashboard,
        ),
    )
    pledges = {p.organisation_id: p for p in db.session.scalars(sa.select(Pledge).where(Pledge.bid_id == bid.id))}
    batch = []
    for org_id, (invitation, users) in _member_organisations(bid).items():
        pledge = pledges.get(org_id)

        def build(users=users, pledge=pledge, invitation=invitation):
            return render_many(
                "bid_closed_member",
                bid,
                [Letter(user.email, f"{bid.title} has closed", {"user": user}) for user in users],
                pledge=pledge if pledge is not None and pledge.is_live else None,
                withdrawn=pledge is not None and not pledge.is_live,
                organisation_name=invitation.organisation_name,
                early=early,
                link=dashboard,
            )

        batch.append((invitation, build))
        told["members"] += len(users)
    _claim_all(bid, key, "closed", now, batch)
    return told


def closing_audience(bid: Bid) -> dict:
    """Who ``bid_closed`` would email, counted without sending: the member organisations, the people at them with
    an account, the organisations with no one to tell, and the convenors who get the summary."""
    members = _member_organisations(bid)
    return {
        "organisations": len(members),
        "people": sum(len(users) for _, users in members.values()),
        "without_account": sum(1 for _, users in members.values() if not users),
        "convenors": len(convenors_of(bid)),
    }


def deadline_changed(bid: Bid, *, previous: datetime, reopened: bool) -> dict:
    """Tell every invitee still to answer and every member that the deadline moved; re-plan the reminders.

    Planned reminders are keyed by the deadline they were planned against, so the new deadline has new
    slots. Slots of the new deadline whose moment has already passed are recorded as skipped now, so a
    "2 days left" reminder is not sent late when the bid had already been chased at that point.
    """
    now = clock.now()
    key = f"deadline@{deadline_key(bid.deadline)}"
    told = {"invitees": 0, "members": 0, "slots_skipped": 0}
    what = "Reopened" if reopened else "Deadline extended"
    subject = f"{what}: {bid.title} now closes {clock.format_uk(bid.deadline)}"
    context = {"previous": previous, "reopened": reopened, "left": clock.format_remaining(bid.deadline, now)}
    waiting = db.session.scalars(
        sa.select(Invitation)
        .where(
            Invitation.bid_id == bid.id,
            Invitation.status == InvitationStatus.SENT,
            Invitation.expires_at > now,
        )
        .order_by(Invitation.id)
    ).all()
    invitees = []
    for invitation in waiting:

        def build(invitation=invitation):
            return render_many(
                "deadline_changed",
                bid,
                [Letter(invitation.email, subject)],
                name=None,
                organisation_name=invitation.organisation_name,
                invitee=True,
                link=invitation_links.reissue_link(invitation, reason="deadline changed"),
                **context,
            )

        invitees.append((invitation, build))
    told["invitees"] = _claim_all(bid, key, "deadline", now, invitees)
    members = []
    for invitation, users in _member_organisations(bid).values():

        def build(users=users, invitation=invitation):
            return render_many(
                "deadline_changed",
                bid,
                [Letter(user.email, subject, {"name": user.name}) for user in users],
                organisation_name=invitation.organisation_name,
                invitee=False,
                link=path_for("bids.show", bid_id=bid.id),
                **context,
            )

        members.append((invitation, build))
        told["members"] += len(users)
    _claim_all(bid, key, "deadline", now, members)
    for minutes in bid.reminder_plan or []:
        slot = Slot(minutes, bid.deadline)
        if slot.moment <= now and claims.claim_row(
            ReminderSlot.__table__,
            {
                "bid_id": bid.id,
                "slot": slot.key,
                "outcome": "skipped",
                "note": (
                    f"The deadline was moved to {clock.format_uk(bid.deadline)} after the moment of "
                    f"this {describe(minutes)} reminder, so it was not sent late."
                ),
                "created_at": now,
            },
        ):
            told["slots_skipped"] += 1
    return told


def _money(pence: int) -> str:
    return format_pence(pence)
