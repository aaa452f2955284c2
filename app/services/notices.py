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
from app.infra import clock
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
    """Claim (invitation, slot) for each item and queue the emails its ``build()`` renders; returns the number
    claimed. One SAVEPOINT for the whole batch; if a claim clashes, the batch is undone and each item is
    claimed in its own SAVEPOINT, skipping those already claimed."""

    def claim(items: list[tuple[Invitation, Callable]]) -> None:
        built = [(invitation, build()) for invitation, build in items]
        notifications.queue_all([m for _, messages in built for m in messages])
        rows = [
            {
                "bid_id": bid.id,
                "invitation_id": invitation.id,
                "slot": slot,
                "kind": kind,
                "outcome": "sent" if messages else "skipped",
                "note": None if messages else NO_ACCOUNT,
                "email_id": messages[0].id if messages else None,
                "created_at": now,
            }
            for invitation, messages in built
        ]
        if rows:
            db.session.execute(sa.insert(ReminderSend.__table__), rows)

    try:
        with db.session.begin_nested():
            claim(batch)
        return len(batch)
    except IntegrityError:
        claimed = 0
        for item in batch:
            try:
                with db.session.begin_nested():
                    claim([item])
                claimed += 1
            except IntegrityError:
                continue
        return claimed


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
    for user in convenors_of(bid):
        if claim_convenor(
            bid,
            user,
            key,
            now,
            lambda user=user: notifications.queue(
                user.email,
                "bid_closed_convenor",
                f"{bid.title} has closed: {_money(figures.pledged_pence)} pledged",
                bid=bid,
                user=user,
                totals=figures,
                early=early,
                link=dashboard,
            ),
        ):
            told["convenors"] += 1
    pledges = {p.organisation_id: p for p in db.session.scalars(sa.select(Pledge).where(Pledge.bid_id == bid.id))}
    batch = []
    for org_id, (invitation, users) in _member_organisations(bid).items():
        pledge = pledges.get(org_id)

        def build(users=users, pledge=pledge, invitation=invitation):
            return [
                notifications.render(
                    user.email,
                    "bid_closed_member",
                    f"{bid.title} has closed",
                    bid=bid,
                    user=user,
                    pledge=pledge if pledge is not None and pledge.is_live else None,
                    withdrawn=pledge is not None and not pledge.is_live,
                    organisation_name=invitation.organisation_name,
                    early=early,
                    link=dashboard,
                )
                for user in users
            ]

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
            return [
                notifications.render(
                    invitation.email,
                    "deadline_changed",
                    subject,
                    bid=bid,
                    name=None,
                    organisation_name=invitation.organisation_name,
                    invitee=True,
                    link=invitation_links.reissue_link(invitation, reason="deadline changed"),
                    **context,
                )
            ]

        invitees.append((invitation, build))
    told["invitees"] = _claim_all(bid, key, "deadline", now, invitees)
    members = []
    for invitation, users in _member_organisations(bid).values():

        def build(users=users, invitation=invitation):
            return [
                notifications.render(
                    user.email,
                    "deadline_changed",
                    subject,
                    bid=bid,
                    name=user.name,
                    organisation_name=invitation.organisation_name,
                    invitee=False,
                    link=path_for("bids.show", bid_id=bid.id),
                    **context,
                )
                for user in users
            ]

        members.append((invitation, build))
        told["members"] += len(users)
    _claim_all(bid, key, "deadline", now, members)
    for minutes in bid.reminder_plan or []:
        slot = Slot(minutes, bid.deadline)
        if slot.moment <= now:
            try:
                with db.session.begin_nested():
                    db.session.add(
                        ReminderSlot(
                            bid_id=bid.id,
                            slot=slot.key,
                            outcome="skipped",
                            note=(
                                f"The deadline was moved to {clock.format_uk(bid.deadline)} after the moment of "
                                f"this {describe(minutes)} reminder, so it was not sent late."
                            ),
                            created_at=now,
                        )
                    )
            except IntegrityError:
                continue
            told["slots_skipped"] += 1
    return told


def _money(pence: int) -> str:
    return format_pence(pence)
