"""Invitation, funder-link and API tokens: a salt per purpose, only a hash stored, revocable, single-use
where that is their meaning."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app import notifications
from app.extensions import db
from app.infra import clock, tokens
from app.models import Bid, BidStatus, EmailMessage, EmailStatus, InvitationLink
from app.services import api_tokens, funder, invitation_links, invitations, packs, scheduling
from app.services.errors import TokenInvalid
from tests.factories import InvitationFactory, UserFactory
from tests.packdata import populated_bid
from tests.pdfs import clean_storage

pytestmark = pytest.mark.usefixtures(clean_storage.__name__)

#: Tables that hold a token's plaintext on purpose: the outbox keeps each email, link included, until
#: it is sent and OUTBOX_KEEP_DAYS have passed (see docs/hardening.md).
HOLDS_EMAIL = {"email_messages"}


def _invitation_token(invitation) -> str:
    return invitation_links.reissue_link(invitation).rsplit("/", 1)[1]


def _funder_link():
    bid, _users = populated_bid(members=1, letters_for=0)
    packs.generate_pack(bid.created_by, bid)
    bid.status = BidStatus.SUBMITTED
    return funder.create_link(bid.created_by, bid, name="Priya Patel", email="priya@funder.example.org")


def test_a_token_made_for_one_purpose_is_refused_for_another(ctx):
    for made, read in [("invitation", "funder"), ("funder", "invitation"), ("invitation", "session")]:
        token, _digest = tokens.make(made, 1)
        assert tokens.read(made, token) == 1
        assert tokens.read(read, token) is None


def test_an_invitation_link_does_not_open_a_funder_page_and_the_reverse(ctx):
    link, funder_token = _funder_link()
    invitation = InvitationFactory()
    invitation_token = _invitation_token(invitation)
    db.session.commit()
    assert funder.open_link(funder_token).id == link.id
    assert invitation_links.read_token(invitation_token).id == invitation.id
    with pytest.raises(TokenInvalid):
        funder.open_link(invitation_token)
    with pytest.raises(TokenInvalid):
        invitation_links.read_token(funder_token)


def test_only_the_salt_stops_a_token_of_the_wrong_purpose(ctx):
    """Tokens signed for the other purpose, naming the right row, whose hashes the rows even hold."""
    link, _funder_token = _funder_link()
    invitation = InvitationFactory()
    as_invitation, link.token_hash = tokens.make(invitation_links.PURPOSE, link.id)
    as_funder, as_funder_hash = tokens.make(funder.PURPOSE, invitation.id)
    db.session.add(InvitationLink(invitation_id=invitation.id, token_hash=as_funder_hash, reason="test"))
    db.session.commit()
    with pytest.raises(TokenInvalid):
        funder.open_link(as_invitation)
    with pytest.raises(TokenInvalid):
        invitation_links.read_token(as_funder)


def _every_text_value(*, outbox: bool = False) -> str:
    """Every string in every column of every table (but the outbox unless asked), as one text to search."""
    parts = []
    for table in db.metadata.sorted_tables:
        if table.name in HOLDS_EMAIL and not outbox:
            continue
        for row in db.session.execute(sa.select(table)).all():
            parts.extend(str(value) for value in row if value is not None)
    return "\n".join(parts)


def test_no_token_is_stored_in_plaintext(ctx):
    _link, funder_token = _funder_link()
    invitation_token = _invitation_token(InvitationFactory())
    user = UserFactory()
    api_token, _row = api_tokens.create_token(user, "ci")
    db.session.commit()
    assert api_tokens.authenticate(api_token) is not None  # the audit of its use is in the dump too
    dump = _every_text_value()
    for plaintext in (funder_token, invitation_token, api_token):
        assert len(plaintext) > 20
        assert plaintext not in dump
        assert plaintext[-16:] not in dump  # nor a recognisable piece of one
        assert tokens.digest(plaintext) in dump  # the hash is what is kept


def test_each_kind_is_revocable(ctx):
    link, funder_token = _funder_link()
    invitation = InvitationFactory()
    invitation_token = _invitation_token(invitation)
    user = UserFactory()
    api_token, row = api_tokens.create_token(user, "ci")
    db.session.commit()

    bid = db.session.get(Bid, link.bid_id)
    funder.revoke_link(bid.created_by, bid, link.id)
    invitations.revoke(invitation.bid.created_by, invitation)
    api_tokens.revoke_token(user, row.id)
    db.session.commit()

    with pytest.raises(TokenInvalid, match="withdrawn"):
        funder.open_link(funder_token)
    with pytest.raises(TokenInvalid, match="withdrawn"):
        invitation_links.read_token(invitation_token)
    assert api_tokens.authenticate(api_token) is None


def test_every_link_of_an_invitation_works_until_one_of_them_is_used(ctx):
    invitation = InvitationFactory()
    first = _invitation_token(invitation)
    second = _invitation_token(invitation)
    db.session.commit()
    assert invitation_links.read_token(first) == invitation  # a later email does not break an earlier one
    invitations.accept_existing_user(second, UserFactory())
    db.session.commit()
    for token in (first, second):
        with pytest.raises(TokenInvalid, match="already been accepted"):
            invitation_links.read_token(token)


def test_sent_emails_lose_their_working_links_after_the_keep_period(ctx, app):
    _link, funder_token = _funder_link()
    db.session.commit()  # the funder's email is sent after the commit
    message = db.session.scalar(sa.select(EmailMessage).where(EmailMessage.kind == "funder_link"))
    assert message.status == EmailStatus.SENT and funder_token in message.body_text
    start = clock.now()
    db.session.rollback()
    keep = timedelta(days=app.config["OUTBOX_KEEP_DAYS"])
    with time_machine.travel(start + keep - timedelta(hours=1), tick=False):
        assert scheduling.run_sweep()["emails_purged"] == 0
    assert funder_token in _every_text_value(outbox=True)
    db.session.rollback()
    with time_machine.travel(start + keep + timedelta(hours=1), tick=False):
        assert scheduling.run_sweep()["emails_purged"] >= 1
    assert funder_token not in _every_text_value(outbox=True)
    message = db.session.scalar(sa.select(EmailMessage).where(EmailMessage.kind == "funder_link"))
    assert (message.body_text, message.body_html) == (notifications.PURGED, None)
    assert message.subject and message.to_address == "priya@funder.example.org"  # the record stays
