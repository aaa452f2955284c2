"""What the confirmation page says before a bid is closed, cancelled or marked as submitted (app/web/confirm.py)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for

from app.extensions import db
from app.models import Bid, Invitation, InvitationStatus
from app.services import notices, totals
from app.web.confirm import Confirmation, people


def _organisations(count: int) -> str:
    return people(count, "member organisation", "member organisations")


def _waiting_invitations(bid: Bid) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Invitation)
            .where(Invitation.bid_id == bid.id, Invitation.status == InvitationStatus.SENT)
        )
        or 0
    )


def _members_sentence(audience: dict) -> str:
    orgs, persons = audience["organisations"], audience["people"]
    if not orgs:
        return "No member organisation has joined, so no member is emailed"
    everyone = "All " if orgs > 1 else "The "
    sentence = f"{everyone}{_organisations(orgs)} will be told the bid is closed ({people(persons)} with an account)"
    if audience["without_account"]:
        sentence += f"; {audience['without_account']:,} of them have no one with an account and are not emailed"
    return sentence


def close(bid: Bid) -> Confirmation:
    audience = notices.closing_audience(bid)
    convenors = audience["convenors"]
    return Confirmation(
        title="Close the bid now?",
        caption=bid.title,
        happens=[
            "No more pledges, changes or withdrawals will be taken, even though the deadline has not passed.",
            "You can reopen the bid later with a new deadline; members are told again if you do.",
        ],
        emailed=f"{_members_sentence(audience)}. "
        + (f"{people(convenors, 'convenor', 'convenors')} will get the closing summary." if convenors else ""),
        confirm_label="Yes, close the bid now",
        keep_label="No, keep it open",
        back_url=url_for("bids.show", bid_id=bid.id),
    )


def cancel(bid: Bid) -> Confirmation:
    orgs = notices.closing_audience(bid)["organisations"]
    waiting = _waiting_invitations(bid)
    happens = ["The bid stops: members can no longer pledge, and no reminders are sent."]
    if orgs:
        happens.append(f"The pledges of the {_organisations(orgs)} stop counting; they are kept in the audit log.")
    if waiting:
        happens.append(f"The {people(waiting, 'invitation', 'invitations')} not yet answered will stop working.")
    happens.append("You can restore a cancelled bid to a draft later, and open it again from there.")
    return Confirmation(
        title="Cancel the bid?",
        caption=bid.title,
        happens=happens,
        emailed="No one is emailed: tell the members yourself if they need to know." if orgs else "No one is emailed.",
        confirm_label="Yes, cancel the bid",
        keep_label="No, keep the bid" + (" open" if bid.is_open else ""),
        back_url=url_for("bids.show", bid_id=bid.id),
    )


def submit(bid: Bid, *, back_url: str | None = None) -> Confirmation:
    unmet = [t for t in totals.compute(bid).thresholds if not t.met]
    return Confirmation(
        title="Mark the bid as submitted?",
        caption=bid.title,
        warnings=[f"{t.label}: {t.required} required, {t.actual} so far." for t in unmet],
        warnings_title=(
            f"{people(len(unmet), 'scheme threshold is', 'scheme thresholds are')} not met" if unmet else ""
        ),
        happens=[
            "The bid is recorded as sent to the funder: it cannot be reopened and pledges can no longer change.",
            "You can then give the funder a private link to the bid pack.",
        ],
        emailed="No one is emailed.",
        confirm_label="Yes, mark as submitted" + (" anyway" if unmet else ""),
        keep_label="No, not yet",
        back_url=back_url or url_for("bids.show", bid_id=bid.id),
    )


#: the bid actions that need confirming, and what their page says
CONFIRM = {"close": close, "cancel": cancel, "submit": submit}
