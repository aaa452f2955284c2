"""Funder links: only for a submitted bid with a pack; emailed; tampered, expired and revoked links refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.infra import clock, tokens
from app.models import AuditEvent, BidStatus, EmailMessage, EmailStatus, FunderLink, FunderLinkAccess
from app.services import funder, packs
from app.services.errors import InvalidTransition, NotFound, TokenInvalid, ValidationFailed
from tests.factories import ConvenorFactory
from tests.packdata import populated_bid
from tests.pdfs import clean_storage

pytestmark = pytest.mark.usefixtures(clean_storage.__name__)


@pytest.fixture
def submitted(ctx):
    bid, users = populated_bid(members=2, letters_for=1)
    packs.generate_pack(bid.created_by, bid)
    packs.generate_pack(bid.created_by, bid)
    bid.status = BidStatus.SUBMITTED
    db.session.commit()
    return bid, users


def make(bid, **values):
    values = {"name": "Priya Patel", "email": "priya.patel@funder.example.org", **values}
    return funder.create_link(bid.created_by, bid, **values)


def test_a_link_is_emailed_and_opens_the_latest_pack(app, submitted):
    bid, _users = submitted
    link, token = make(bid)
    db.session.commit()
    assert link.pack.version == 2
    assert link.token_hash == tokens.digest(token) and token not in link.token_hash
    assert timedelta(days=29, hours=23) < link.expires_at - clock.now() <= timedelta(days=30)
    assert funder.open_link(token).id == link.id
    [message] = db.session.scalars(sa.select(EmailMessage)).all()
    assert message.to_address == "priya.patel@funder.example.org" and message.kind == "funder_link"
    assert message.status == EmailStatus.SENT
    assert f"http://localhost/f/{token}" in message.body_text
    assert f'href="http://localhost/f/{token}"' in message.body_html
    assert bid.title in message.subject
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "funder_link.created"))
    assert event.after["version"] == 2 and token not in str(event.after)


def test_a_chosen_version(submitted):
    bid, _users = submitted
    link, _token = make(bid, version=1)
    assert link.pack.version == 1


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": "  "}, "name", "Enter the name"),
        ({"name": "x" * 201}, "name", "at most 200"),
        ({"email": "not-an-email"}, "email", "right format"),
        ({"email": ""}, "email", "right format"),
        ({"version": 9}, "version", "Choose a version"),
    ],
)
def test_bad_values_are_refused_and_nothing_saved(submitted, values, field, message):
    bid, _users = submitted
    with pytest.raises(ValidationFailed) as caught:
        make(bid, **values)
    assert message in caught.value.errors[field][0]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EmailMessage)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FunderLink)) == 0


def test_needs_a_submitted_bid(ctx):
    bid, _users = populated_bid(members=1, letters_for=0)
    packs.generate_pack(bid.created_by, bid)
    bid.status = BidStatus.CLOSED
    with pytest.raises(InvalidTransition, match="submitted"):
        make(bid)


def test_needs_a_pack(ctx):
    bid, _users = populated_bid(members=1, letters_for=0, status=BidStatus.SUBMITTED)
    with pytest.raises(ValidationFailed) as caught:
        make(bid)
    assert "Generate the bid pack" in caught.value.errors["version"][0]


def test_only_the_bids_convenor(submitted):
    bid, users = submitted
    for outsider in (users[0], ConvenorFactory()):
        with pytest.raises(NotFound):
            funder.create_link(outsider, bid, name="A", email="a@example.org")
        with pytest.raises(NotFound):
            funder.links_for(outsider, bid)


def test_tampered_tokens_are_refused(submitted):
    bid, _users = submitted
    link, token = make(bid)
    db.session.commit()
    forged_other_id, _digest = tokens.make("funder", link.id + 1)
    wrong_purpose, _digest = tokens.make("invitation", link.id)
    replayed_signature, _digest = tokens.make("funder", link.id)  # genuine signature, never issued
    for bad in (
        token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1],
        "",
        "x" * 600,
        forged_other_id,
        wrong_purpose,
        replayed_signature,
    ):
        with pytest.raises(TokenInvalid) as caught:
            funder.open_link(bad)
        assert caught.value.reason == "tampered"


def test_expired_links_are_refused(submitted):
    bid, _users = submitted
    link, token = make(bid)
    db.session.commit()
    with time_machine.travel(link.expires_at - timedelta(seconds=1)):
        assert funder.open_link(token).id == link.id
    with time_machine.travel(link.expires_at + timedelta(seconds=1)):
        with pytest.raises(TokenInvalid) as caught:
            funder.open_link(token)
        assert caught.value.reason == "expired"
        assert funder.link_state(link) == "expired"


def test_revoked_links_are_refused_at_once(submitted):
    bid, _users = submitted
    link, token = make(bid)
    db.session.commit()
    funder.revoke_link(bid.created_by, bid, link.id)
    funder.revoke_link(bid.created_by, bid, link.id)  # twice is harmless
    db.session.commit()
    with pytest.raises(TokenInvalid) as caught:
        funder.open_link(token)
    assert caught.value.reason == "revoked"
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("funder_link.%"))).all()
    assert sorted(actions) == ["funder_link.created", "funder_link.revoked"]


def test_revoking_another_bids_link_is_not_found(submitted):
    bid, _users = submitted
    link, _token = make(bid)
    other, _u = populated_bid(members=1, letters_for=0)
    with pytest.raises(NotFound):
        funder.revoke_link(other.created_by, other, link.id)


def test_accesses_are_logged_per_link(submitted):
    bid, _users = submitted
    link, _token = make(bid)
    funder.record_access(link, "page", "203.0.113.7")
    funder.record_access(link, "bid-pack.pdf", None)
    db.session.commit()
    rows = funder.accesses_for([link])[link.id]
    assert [r.what for r in rows] == ["bid-pack.pdf", "page"]
    assert db.session.scalar(sa.select(FunderLinkAccess.ip_address).where(FunderLinkAccess.what == "page")) == (
        "203.0.113.7"
    )


def test_letters_in_pack_only(submitted):
    bid, _users = submitted
    link, _token = make(bid)
    [entry] = link.pack.figures["letter_files"]
    assert funder.letter_in_pack(link, entry["sha256"])["name"] == entry["name"]
    with pytest.raises(NotFound):
        funder.letter_in_pack(link, "0" * 64)
