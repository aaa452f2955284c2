"""Invitation links: a later email never breaks an earlier link; revoke ends them all; one use ends them all."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.infra import clock
from app.models import EmailMessage, InvitationLink, InvitationStatus, LinkEnd
from app.services import bids, invitation_links, invitations, reminders
from app.services.errors import TokenInvalid
from tests.factories import BidFactory, InvitationFactory, UserFactory
from tests.services.scheduler_helpers import T0


def tokens_in(_outbox) -> list[str]:
    """The invitation link's token in each queued email that has one, oldest first."""
    found = [re.search(r"/invitations/(\S+)", text) for text in db.session.scalars(sa.select(EmailMessage.body_text))]
    return [m.group(1) for m in found if m]


@pytest.fixture
def invited(ctx, outbox):
    """A bid closing in ten days with one organisation invited, and the invitation email's token."""
    with time_machine.travel(T0, tick=False):
        bid = BidFactory(deadline=T0 + timedelta(days=10), reminder_plan=[])
        invitation = invitations.invite(bid.created_by, bid, "Riverside Homes", "lead@riverside.example")
        db.session.commit()
    return bid, invitation, tokens_in(outbox)[-1]


def test_a_reminder_sent_after_the_invitation_leaves_the_first_link_working(invited, outbox):
    bid, invitation, first = invited
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        sent, _ = reminders.send_now(
            bid.created_by,
            bid,
            group=reminders.NOT_RESPONDED,
            message="Please answer.",
            send_id=reminders.new_send_id(),
        )
        db.session.commit()
        assert sent == 1
        from_reminder = tokens_in(outbox)[-1]
        assert from_reminder != first
        assert invitation_links.read_token(first) == invitation
        assert invitation_links.read_token(from_reminder) == invitation


def test_the_planned_reminder_sweep_leaves_the_first_link_working(invited, outbox):
    bid, invitation, first = invited
    bid.reminder_plan = [2 * 24 * 60]
    db.session.commit()
    with time_machine.travel(bid.deadline - timedelta(days=2), tick=False):
        assert reminders.send_due()["sent"] == 1
        from_sweep = tokens_in(outbox)[-1]
        assert invitation_links.read_token(first) == invitation
        assert invitation_links.read_token(from_sweep) == invitation


def test_an_extension_leaves_earlier_links_working_and_moves_their_expiry(invited, outbox):
    bid, invitation, first = invited
    later = T0 + timedelta(days=40)  # beyond the 21 days an invitation normally lasts
    with time_machine.travel(T0 + timedelta(days=5), tick=False):
        bids.extend_deadline(bid.created_by, bid, later)
        db.session.commit()
    notice = tokens_in(outbox)[-1]
    assert notice != first
    assert invitation.expires_at == later
    with time_machine.travel(T0 + timedelta(days=39), tick=False):
        assert invitation_links.read_token(first) == invitation
        assert invitation_links.read_token(notice) == invitation
    with time_machine.travel(later + timedelta(seconds=1), tick=False), pytest.raises(TokenInvalid) as caught:
        invitation_links.read_token(first)
    assert caught.value.reason == "expired"


def test_a_link_never_expires_before_the_deadline_plus_the_grace_window(ctx, outbox):
    with time_machine.travel(T0, tick=False):
        bid = BidFactory(deadline=T0 + timedelta(days=30), grace_minutes=90)
        invitation = invitations.invite(bid.created_by, bid, "Riverside Homes", "lead@riverside.example")
        assert invitation.expires_at == T0 + timedelta(days=30, minutes=90)
        bids.update_bid(bid.created_by, bid, {"grace_minutes": 120})
        assert invitation.expires_at == T0 + timedelta(days=30, minutes=120)
        soon = BidFactory(deadline=T0 + timedelta(days=2))
        short = invitations.invite(soon.created_by, soon, "Northmoor", "n@northmoor.example")
        assert short.expires_at == T0 + timedelta(days=21)  # the usual period when the deadline is sooner
        db.session.commit()
    with time_machine.travel(T0 + timedelta(days=30, minutes=119), tick=False):
        assert invitation_links.read_token(tokens_in(outbox)[0]) == invitation


def test_revoking_stops_every_link_and_a_resend_after_it_revives_none(invited, outbox):
    bid, invitation, first = invited
    invitations.resend(bid.created_by, invitation)
    db.session.commit()
    second = tokens_in(outbox)[-1]
    invitations.revoke(bid.created_by, invitation)
    db.session.commit()
    for token in (first, second):
        with pytest.raises(TokenInvalid) as caught:
            invitation_links.read_token(token)
        assert caught.value.reason == "revoked"
    invitations.resend(bid.created_by, invitation)
    db.session.commit()
    third = tokens_in(outbox)[-1]
    assert invitation_links.read_token(third) == invitation
    for token in (first, second):
        with pytest.raises(TokenInvalid, match="withdrawn by the convenor before they invited you again"):
            invitation_links.read_token(token)


def test_a_link_is_used_once_then_every_link_is_refused(invited, outbox):
    bid, invitation, first = invited
    invitations.resend(bid.created_by, invitation)
    db.session.commit()
    second = tokens_in(outbox)[-1]
    invitations.accept_existing_user(first, UserFactory())
    db.session.commit()
    for token in (first, second):
        with pytest.raises(TokenInvalid, match="already been accepted") as caught:
            invitation_links.read_token(token)
        assert caught.value.reason == "used"
    ends = db.session.scalars(sa.select(InvitationLink.ended).where(InvitationLink.invitation_id == invitation.id))
    assert set(ends) == {LinkEnd.USED}


def test_tokens_are_stored_only_as_hashes(invited):
    _bid, _invitation, first = invited
    stored = db.session.scalars(sa.select(InvitationLink.token_hash)).all()
    assert len(stored) == 1 and first not in stored[0] and len(stored[0]) == 64


def test_batched_links_are_stored_only_for_invitations_still_waiting(ctx):
    bid = BidFactory()
    waiting = InvitationFactory(bid=bid)
    declined = InvitationFactory(bid=bid, status=InvitationStatus.DECLINED)
    paths = invitation_links.reissue_links(bid, [waiting.id, declined.id])
    db.session.commit()
    assert set(paths) == {waiting.id, declined.id}
    owners = db.session.scalars(sa.select(InvitationLink.invitation_id)).all()
    assert owners == [waiting.id]
    assert invitation_links.read_token(paths[waiting.id].rsplit("/", 1)[1]) == waiting
    with pytest.raises(TokenInvalid) as caught:
        invitation_links.read_token(paths[declined.id].rsplit("/", 1)[1])
    assert caught.value.reason == "tampered"  # no link was stored for it


def test_a_token_for_another_invitation_is_refused(ctx):
    one, other = InvitationFactory(), InvitationFactory()
    path = invitation_links.reissue_link(one)
    db.session.commit()
    token = path.rsplit("/", 1)[1]
    assert invitation_links.read_token(token) == one
    assert clock.now() < one.expires_at
    db.session.execute(sa.update(InvitationLink).values(invitation_id=other.id))
    with pytest.raises(TokenInvalid) as caught:
        invitation_links.read_token(token)
    assert caught.value.reason == "tampered"
