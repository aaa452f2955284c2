"""The invitation email: the convenor's personal message, the convenor as contact (reply-to), the bid's figures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.models import EmailMessage, Invitation
from app.services import invitations
from app.services.errors import ValidationFailed
from tests.factories import BidFactory, ConvenorFactory

SUMMER = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def bid(ctx):
    with time_machine.travel(SUMMER, tick=False):
        convenor = ConvenorFactory(name="Sam Convenor", email="sam@alliance.example")
        return BidFactory(
            created_by=convenor,
            title="Community Match Fund bid",
            target_pence=625_000_000,
            target_homes=1_100_000,
            min_pledge_pence=1_000_000,
            deadline=datetime(2026, 8, 14, 16, 0, tzinfo=UTC),
        )


def _email() -> EmailMessage:
    return db.session.scalars(sa.select(EmailMessage).where(EmailMessage.kind == "invitation")).one()


def test_the_email_names_the_convenor_carries_the_message_and_the_bids_figures(bid, outbox):
    with time_machine.travel(SUMMER, tick=False):
        invitations.invite(
            bid.created_by, bid, "Riverside Homes", "lead@riverside.example", message="Dear Ria,\r\nDo join us."
        )
        db.session.commit()
    email = _email()
    assert email.reply_to == "sam@alliance.example"
    for part in (email.body_text, email.body_html):
        assert "Sam Convenor writes:" in part
        assert "Dear Ria," in part and "Do join us." in part
        assert "£6,250,000" in part and "1,100,000 homes" in part
        assert "£10,000" in part
        assert "5pm on Friday 14 August 2026 (BST)" in part
        assert "sam@alliance.example" in part
    [sent] = outbox
    assert sent.reply_to == ["sam@alliance.example"]


def test_without_a_message_or_minimum_the_email_says_so_and_a_winter_deadline_is_gmt(ctx, outbox):
    with time_machine.travel(SUMMER, tick=False):
        bid = BidFactory(min_pledge_pence=None, deadline=datetime(2026, 12, 11, 12, 0, tzinfo=UTC))
        invitations.invite(bid.created_by, bid, "Riverside Homes", "lead@riverside.example", message="   ")
        db.session.commit()
    email = _email()
    for part in (email.body_text, email.body_html):
        assert "writes:" not in part
        assert "no minimum" in part
        assert "midday on Friday 11 December 2026 (GMT)" in part
    assert db.session.scalar(sa.select(Invitation.message)) is None


def test_hostile_text_is_escaped_in_html_and_invisible_controls_are_removed(bid, outbox):
    with time_machine.travel(SUMMER, tick=False):
        invitations.invite(
            bid.created_by,
            bid,
            "Riverside Homes",
            "lead@riverside.example",
            message='<script>alert(1)</script> pay \u202egnp.exe\x00 <a href="http://evil">here</a>',
        )
        db.session.commit()
    email = _email()
    assert "<script>" not in email.body_html and "&lt;script&gt;" in email.body_html
    assert 'href="http://evil"' not in email.body_html
    for part in (email.body_text, email.body_html):
        assert "\u202e" not in part and "\x00" not in part
    assert "pay gnp.exe" in email.body_text
    assert db.session.scalar(sa.select(Invitation.message)).startswith("<script>alert(1)</script> pay gnp.exe")


@pytest.mark.parametrize(
    ("message", "text"), [("x" * 2001, "Keep the message to 2,000 characters or fewer (it has 2,001)."), (7, "text")]
)
def test_a_bad_message_is_refused_and_nobody_is_invited(bid, outbox, message, text):
    with pytest.raises(ValidationFailed) as caught:
        invitations.invite_many(bid.created_by, bid, [(1, "Riverside Homes", "a@x.example")], message=message)
    assert text in caught.value.errors["message"][0]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EmailMessage)) == 0


def test_a_resend_repeats_the_message_and_names_whoever_resent_it_as_the_contact(bid, outbox):
    deputy = ConvenorFactory(name="Dee Deputy", email="dee@alliance.example", organisation=bid.organisation)
    with time_machine.travel(SUMMER, tick=False):
        invitation = invitations.invite(bid.created_by, bid, "Riverside Homes", "lead@riverside.example", message="Hi")
        invitations.resend(deputy, invitation)
        db.session.commit()
    emails = db.session.scalars(sa.select(EmailMessage).order_by(EmailMessage.id)).all()
    assert [e.reply_to for e in emails] == ["sam@alliance.example", "dee@alliance.example"]
    assert "Sam Convenor writes:" in emails[1].body_text and "Hi" in emails[1].body_text  # its author
    assert "Your contact is Dee Deputy" in emails[1].body_text
