"""Reminders: who is chased for what, the due-reminder sweep, and the convenor's "send a reminder now".

Exactly once: each reminder is claimed by a ReminderSend row per (invitation, slot) under a unique constraint,
in the transaction that queues its email (a slot's rows in one SAVEPOINT, app.infra.claims); a planned slot is
also claimed for the whole bid by a ReminderSlot row, in one conditional INSERT. A clash means another scheduler
got there first, so it is skipped, not sent again.

Raises ValidationFailed, InvalidTransition and PermissionDenied (manual sends).
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app import notifications
from app.extensions import db
from app.infra import claims, clock, sweeps, units
from app.infra.links import path_for
from app.models import (
    Bid,
    Invitation,
    InvitationStatus,
    Pledge,
    PledgeStatus,
    ReminderSend,
    ReminderSlot,
    User,
)
from app.notifications.bulk import Letter, render_many
from app.services import audit, invitation_links
from app.services.access import is_bid_convenor
from app.services.errors import InvalidTransition, PermissionDenied, ValidationFailed
from app.services.reminder_plan import Slot, due_slots, skip_reason

log = logging.getLogger(__name__)

NOT_RESPONDED, NOT_PLEDGED, CONFIRM, MANUAL = "not_responded", "not_pledged", "confirm", "manual"
#: a member organisation with nothing to do (pledge confirmed or withdrawn): reachable by a manual message only
MEMBER = "member"
#: What each group of a manual send means, for the form and the audit log.
GROUPS = {
    NOT_RESPONDED: "Everyone who has not responded to the invitation",
    NOT_PLEDGED: "Every member organisation with no pledge",
    CONFIRM: "Every member organisation whose pledge is indicative",
}
MAX_MESSAGE = 2000


@dataclass
class Candidate:
    """One invitation that may be chased, with what for and whom to write to (plain values, no ORM state)."""

    invitation_id: int
    bid_id: int
    organisation_name: str
    sent_at: datetime
    kind: str
    email: str
    name: str | None
    amount_pence: int | None = None


def candidates(bid_ids: list[int], now: datetime, *, everyone: bool = False) -> dict[int, list[Candidate]]:
    """Everyone still to be chased on these bids, by bid, in two queries whatever the number of bids.

    Not responded: invitations sent and not expired. Accepted with no pledge: "not pledged". Indicative:
    "confirm". Declined, revoked, expired, withdrawn and confirmed are left alone, unless ``everyone``
    (the convenor writing to one organisation), when joined organisations with nothing to do are "member".
    """
    if not bid_ids:
        return {}
    # Plain rows on the session's connection (after flushing what it holds, as the session would): the ORM's
    # result layer adds nothing to rows of columns, and the sweep reads a row per invitation of every due bid.
    db.session.flush()
    conn = db.session.connection()
    pledges: dict[tuple[int, int], tuple[PledgeStatus, int]] = {
        (bid_id, org_id): (status, amount)
        for bid_id, org_id, status, amount in conn.execute(
            sa.select(Pledge.bid_id, Pledge.organisation_id, Pledge.status, Pledge.amount_pence).where(
                Pledge.bid_id.in_(bid_ids)
            )
        )
    }
    rows = conn.execute(
        sa.select(
            Invitation.id,
            Invitation.bid_id,
            Invitation.organisation_name,
            Invitation.organisation_id,
            Invitation.sent_at,
            Invitation.status,
            Invitation.email,
            User.email,
            User.name,
            User.is_enabled,
        )
        .outerjoin(User, User.id == Invitation.accepted_by_id)
        .where(
            Invitation.bid_id.in_(bid_ids),
            sa.or_(
                sa.and_(Invitation.status == InvitationStatus.SENT, Invitation.expires_at > now),
                Invitation.status == InvitationStatus.ACCEPTED,
            ),
        )
        .order_by(Invitation.bid_id, Invitation.id)
    )
    found: dict[int, list[Candidate]] = defaultdict(list)
    for inv_id, bid_id, org_name, org_id, sent_at, status, email, user_email, user_name, enabled in rows:
        if status == InvitationStatus.SENT:
            found[bid_id].append(Candidate(inv_id, bid_id, org_name, sent_at, NOT_RESPONDED, email, None))
            continue
        if user_email is not None and not enabled:
            continue
        pledge_status, amount = pledges.get((bid_id, org_id), (None, None))
        kind = {None: NOT_PLEDGED, PledgeStatus.INDICATIVE: CONFIRM}.get(pledge_status, MEMBER if everyone else None)
        if kind is not None:
            found[bid_id].append(
                Candidate(inv_id, bid_id, org_name, sent_at, kind, user_email or email, user_name, amount)
            )
    return found


@dataclass(frozen=True)
class BidView:
    """What a reminder needs of its bid, as plain values (the emails' ``bid.title`` and ``bid.deadline``)."""

    id: int
    title: str
    deadline: datetime
    organisation_id: int
    convening_body: str
    can_be_reminded: bool


def send_due(now: datetime | None = None) -> dict:
    """Send every planned reminder that is due and not yet sent; record the ones that no longer make sense.

    One unit of work per bid, in its own SAVEPOINT, committed in batches of bids (app.infra.units.in_batches).
    Queries: a fixed number to find the work, then a fixed number per bid with a due slot.
    """
    now = now or clock.now()
    open_bids = db.session.execute(
        sa.select(Bid.id, Bid.deadline, Bid.reminder_plan).where(Bid.can_be_reminded).order_by(Bid.id)
    ).all()
    due: dict[int, list[Slot]] = {}
    for bid_id, deadline, plan in open_bids:
        slots = due_slots(deadline, plan, now)
        if slots:
            due[bid_id] = slots
    #: slots processed, and slots another scheduler had claimed first
    counts = {"sent": 0, "skipped": 0, "slots": 0, "clashed": 0}
    if not due:
        units.end_read()
        return counts
    done = set(
        db.session.execute(
            sa.select(ReminderSlot.bid_id, ReminderSlot.slot).where(
                ReminderSlot.bid_id.in_(list(due)),
                ReminderSlot.slot.in_({s.key for slots in due.values() for s in slots}),
            )
        ).all()
    )
    todo = {bid_id: [s for s in slots if (bid_id, s.key) not in done] for bid_id, slots in due.items()}
    todo = {bid_id: slots for bid_id, slots in todo.items() if slots}
    if not todo:
        units.end_read()
        return counts
    # Plain values read once: each unit's commit expires loaded rows, and every bid (and its convening body)
    # would otherwise be read again in queries of its own.
    bids = {
        b.id: BidView(b.id, b.title, b.deadline, b.organisation_id, b.organisation.name, b.can_be_reminded)
        for b in db.session.scalars(
            sa.select(Bid).where(Bid.id.in_(list(todo))).options(selectinload(Bid.organisation))
        )
    }
    found = candidates(list(todo), now)

    def remind(bid_id: int) -> dict:
        bid, done = bids[bid_id], {"sent": 0, "skipped": 0, "slots": 0, "clashed": 0}
        for slot in todo[bid_id]:
            reason = skip_reason(slot, due[bid_id], now)
            if not _claim_slot(bid, slot, reason):
                done["clashed"] += 1
                continue
            done["slots"] += 1
            sent, skipped = _send_slot(bid, slot, reason, found.get(bid_id, []), now)
            done["sent"] += sent
            done["skipped"] += skipped
        return done

    # One unit (SAVEPOINT) per bid, committed in batches: one bad bid must not stop the others; nothing of it is
    # kept, so it is retried by the next sweep.
    open_now = [bid_id for bid_id in todo if bids[bid_id].can_be_reminded]
    for _bid_id, done in units.in_batches(open_now, remind, what="reminders for bid"):
        for key, value in done.items():
            counts[key] += value
    return counts


@sweeps.step("reminders", order=10)
def _sweep_step() -> dict:
    return {"reminders": send_due()}


def _claim_slot(bid: BidView, slot: Slot, reason: str | None) -> bool:
    """Claim the bid's slot in one conditional INSERT; False when another scheduler has claimed it."""
    values = {"bid_id": bid.id, "slot": slot.key, "outcome": "skipped" if reason else "sent", "note": reason}
    if claims.claim_row(ReminderSlot.__table__, values):
        return True
    log.info("reminder slot %s of bid %s already claimed", slot.key, bid.id)
    return False


def _send_slot(bid: BidView, slot: Slot, reason: str | None, chased: list[Candidate], now: datetime) -> tuple[int, int]:
    """Claim every chased invitation for the slot and queue the emails, batched in one SAVEPOINT: one statement
    each for the reissued links, their audit rows, the outbox rows and the ReminderSend rows, with the emails
    rendered together (app.notifications.bulk).

    The bid's slot is already claimed (ReminderSlot), so a clash here is not expected; if one happens, the
    batch is undone and each invitation is claimed in its own SAVEPOINT instead, skipping the clashes.
    """
    decided: list[tuple[Candidate, str | None]] = []
    reached: set[str] = set()
    for candidate in chased:
        note = reason
        if note is None and candidate.sent_at > slot.moment:
            note = "Invited after this reminder's moment, so the invitation itself was the reminder."
        elif note is None and candidate.email in reached:
            note = "The same person was reminded through another invitation."
        if note is None:
            reached.add(candidate.email)
        decided.append((candidate, note))

    def write(batch: list[tuple[Candidate, str | None]]) -> None:
        chased_now = [c for c, note in batch if note is None]
        links = invitation_links.reissue_links(bid, [c.invitation_id for c in chased_now if c.kind == NOT_RESPONDED])
        email_ids = iter(
            notifications.queue_rows(_render_all(bid, [(c, links.get(c.invitation_id)) for c in chased_now], now, ""))
        )
        rows = [_row(bid, c, slot.key, now, note, email_id=None if note else next(email_ids)) for c, note in batch]
        db.session.execute(sa.insert(ReminderSend.__table__), rows)

    decided = claims.in_batch(decided, write, what=f"reminder slot {slot.key} of bid {bid.id}")
    sent = sum(1 for _, note in decided if note is None)
    return sent, len(decided) - sent


def _row(
    bid: Bid | BidView,
    candidate: Candidate,
    slot_key: str,
    now: datetime,
    skip: str | None,
    *,
    kind=None,
    email_id=None,
) -> dict:
    return {
        "bid_id": bid.id,
        "invitation_id": candidate.invitation_id,
        "slot": slot_key,
        "kind": kind or candidate.kind,
        "outcome": "skipped" if skip else "sent",
        "note": skip,
        "email_id": email_id,
        "created_at": now,
    }


def claim(
    bid: Bid, candidate: Candidate, slot_key: str, now: datetime, *, skip: str | None = None, message: str = ""
) -> bool:
    """Claim (invitation, slot) and queue its email in one SAVEPOINT. False when it was already claimed."""

    def write(_batch) -> None:
        email_id = None
        if not skip:
            link = None
            if candidate.kind == NOT_RESPONDED:
                link = invitation_links.reissue_links(bid, [candidate.invitation_id])[candidate.invitation_id]
            [email_id] = notifications.queue_rows(_render_all(bid, [(candidate, link)], now, message))
        kind = MANUAL if message else None
        db.session.execute(
            sa.insert(ReminderSend.__table__),
            [_row(bid, candidate, slot_key, now, skip, kind=kind, email_id=email_id)],
        )

    return bool(claims.in_batch([candidate], write, what=f"{slot_key} of bid {bid.id}"))


def _render_all(
    bid: Bid | BidView, chased: list[tuple[Candidate, str | None]], now: datetime, message: str
) -> list[dict]:
    """The reminder emails (outbox rows) for (candidate, its invitation link) of one bid, rendered together."""
    left = clock.format_remaining(bid.deadline, now)
    convening_body = bid.convening_body if isinstance(bid, BidView) else bid.organisation.name
    pledge_link, bid_link = path_for("pledges.edit", bid_id=bid.id), path_for("bids.show", bid_id=bid.id)
    letters = []
    for candidate, invitation_link in chased:
        link = bid_link if candidate.kind == MEMBER else pledge_link
        if candidate.kind == NOT_RESPONDED:
            link = invitation_link
            subject = f"Reminder: you have not yet responded to {bid.title} ({left} left)"
        elif candidate.kind == CONFIRM:
            subject = f"Reminder: please confirm your pledge to {bid.title} ({left} left)"
        else:
            subject = f"Reminder: your organisation has not yet pledged to {bid.title} ({left} left)"
        if message:
            subject = f"Message from {convening_body}: {bid.title} ({left} left)"
        context = {
            "reminder_kind": candidate.kind,
            "name": candidate.name,
            "organisation_name": candidate.organisation_name,
            "amount_pence": candidate.amount_pence,
            "link": link,
        }
        letters.append(Letter(candidate.email, subject, context))
    return render_many("reminder", bid, letters, left=left, message=message, convening_body=convening_body)


# -- the convenor's "send a reminder now" -----------------------------------------------------------------


def manual_targets(bid: Bid) -> list[Candidate]:
    """Everyone a manual reminder can reach, for the form's "one organisation" choice."""
    return candidates([bid.id], clock.now(), everyone=True).get(bid.id, [])


def send_now(actor: User, bid: Bid, *, group: str, message: str, send_id: str) -> tuple[int, int]:
    """Send the convenor's own message to a group (or ``invitation:<id>``). Returns (sent, already_sent).

    ``send_id`` comes from the form, so submitting the same form twice sends nothing the second time.
    """
    if not is_bid_convenor(actor, bid):
        raise PermissionDenied("Only the bid's convenors can send reminders.")
    if not bid.can_be_reminded:
        raise InvalidTransition(f"Reminders can only be sent while the bid is open; it is {bid.status}.")
    errors: dict[str, list[str]] = {}
    message = (message or "").replace("\x00", "").strip()
    if not message:
        errors["message"] = ["Write the message to send."]
    elif len(message) > MAX_MESSAGE:
        errors["message"] = [f"Keep the message to {MAX_MESSAGE:,} characters or fewer (it has {len(message):,})."]
    try:
        send_uuid = uuid.UUID(str(send_id)).hex
    except ValueError:
        errors["send_id"] = ["The form is out of date. Reload the page and try again."]
    now = clock.now()
    targets = manual_targets(bid)
    if group in GROUPS:
        chosen = [c for c in targets if c.kind == group]
    elif str(group).startswith("invitation:") and str(group)[11:].isdigit():
        chosen = [c for c in targets if c.invitation_id == int(str(group)[11:])]
        if not chosen:
            errors["group"] = [
                "That organisation cannot be reminded: it declined, its invitation was withdrawn or has expired, "
                "or it is not invited to this bid."
            ]
    else:
        chosen = []
        errors["group"] = ["Choose who to remind."]
    if errors:
        raise ValidationFailed(errors)
    if not chosen:
        raise ValidationFailed({"group": ["Nobody is in that group at the moment, so nothing was sent."]})
    slot_key = f"manual:{send_uuid}"
    sent = already = 0
    reached: set[str] = set()
    for candidate in chosen:
        if candidate.email in reached:
            continue
        if claim(bid, candidate, slot_key, now, message=message):
            sent += 1
            reached.add(candidate.email)
        else:
            already += 1
    if sent:
        audit.record(
            "reminder.manual",
            actor=actor,
            bid=bid,
            subject=bid,
            after={"group": group, "sent": sent, "slot": slot_key, "message": message},
        )
    return sent, already


def new_send_id() -> str:
    return uuid.uuid4().hex
