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
    EmailMessage,
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


def _closing_audience(bid: Bid) -> tuple[list[User], dict[int, tuple[Invitation, Pledge | None, list[User]]]]:
    """The bid's convenors, and each organisation that joined (its first accepted invitation, its pledge if any,
    its enabled member users): two queries."""
    first: dict[int, tuple[Invitation, Pledge | None]] = {}
    for invitation, pledge in db.session.execute(
        sa.select(Invitation, Pledge)
        .outerjoin(
            Pledge, sa.and_(Pledge.bid_id == Invitation.bid_id, Pledge.organisation_id == Invitation.organisation_id)
        )
        .where(Invitation.bid_id == bid.id, Invitation.status == InvitationStatus.ACCEPTED)
        .order_by(Invitation.id)
    ):
        if invitation.organisation_id is not None:
            first.setdefault(invitation.organisation_id, (invitation, pledge))
    convenors: list[User] = []
    people: dict[int, list[User]] = defaultdict(list)
    for user in db.session.scalars(
        sa.select(User)
        .where(
            User.is_enabled.is_(True),
            sa.or_(
                sa.and_(User.organisation_id == bid.organisation_id, User.role == Role.CONVENOR),
                sa.and_(User.organisation_id.in_(list(first)), User.role == Role.MEMBER),
            ),
        )
        .order_by(User.id)
    ):
        if user.role == Role.CONVENOR:
            convenors.append(user)
        else:
            people[user.organisation_id].append(user)
    return convenors, {org: (invitation, pledge, people[org]) for org, (invitation, pledge) in first.items()}


def bid_closed(bid: Bid, *, reason: str) -> dict:
    """The convenors' closing summary and every member's "the bid has closed; your pledge stands at …" note.

    Set-based: every email rendered together and queued in one INSERT, then the claims (ConvenorSend per
    convenor, ReminderSend per organisation) in one conditional INSERT each; the email of any claim that was
    already taken is deleted again in the same transaction, so nobody is told twice.
    """
    now = clock.now()
    key = f"closed@{deadline_key(bid.deadline)}"
    figures = totals.compute(bid)
    dashboard = path_for("bids.show", bid_id=bid.id)
    early = reason != "deadline"
    convenors, members = _closing_audience(bid)
    summary = f"{bid.title} has closed: {_money(figures.pledged_pence)} pledged"
    emails = render_many(
        "bid_closed_convenor",
        bid,
        [Letter(user.email, summary, {"user": user}) for user in convenors],
        totals=figures,
        early=early,
        link=dashboard,
    )
    notes = [
        (
            invitation,
            render_many(
                "bid_closed_member",
                bid,
                [Letter(user.email, f"{bid.title} has closed", {"user": user}) for user in users],
                pledge=pledge if pledge is not None and pledge.is_live else None,
                withdrawn=pledge is not None and not pledge.is_live,
                organisation_name=invitation.organisation_name,
                early=early,
                link=dashboard,
            ),
        )
        for invitation, pledge, users in members.values()
    ]
    email_ids = iter(notifications.queue_rows(emails + [m for _, rows in notes for m in rows]))
    to_convenors = {user.id: next(email_ids) for user in convenors}
    to_members = {invitation.id: [next(email_ids) for _ in rows] for invitation, rows in notes}
    told_convenors = claims.claim_rows(
        ConvenorSend.__table__,
        [
            {"bid_id": bid.id, "user_id": user_id, "key": key, "email_id": email_id, "created_at": now}
            for user_id, email_id in to_convenors.items()
        ],
        "user_id",
    )
    told_members = claims.claim_rows(
        ReminderSend.__table__,
        [
            {
                "bid_id": bid.id,
                "invitation_id": invitation_id,
                "slot": key,
                "kind": "closed",
                "outcome": "sent" if ids else "skipped",
                "note": None if ids else NO_ACCOUNT,
                "email_id": ids[0] if ids else None,
                "created_at": now,
            }
            for invitation_id, ids in to_members.items()
        ],
        "invitation_id",
    )
    already = [e for u, e in to_convenors.items() if u not in told_convenors]
    already += [e for i, ids in to_members.items() if i not in told_members for e in ids]
    if already:  # told before (another closer got there first): their emails are not sent
        db.session.execute(sa.delete(EmailMessage).where(EmailMessage.id.in_(already)))
    return {"convenors": len(told_convenors), "members": sum(len(users) for _, _, users in members.values())}


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
