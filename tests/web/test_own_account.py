"""Your own account through the pages: your name, an email change confirmed through the new address (the old one
told), and seeing and ending your sessions."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.models import AuditEvent, User, UserSession
from tests.factories import UserFactory
from tests.web.pages import field_errors, text_of


@pytest.fixture
def member(data):
    with data():
        UserFactory(email="taken@example.org")
        return UserFactory(email="member@example.org", name="Mina Member").email


def _user(data, email="member@example.org"):
    with data() as s:
        user = s.scalar(sa.select(User).where(User.email == email))
        return None if user is None else (user.id, user.name, user.email)


def _link(message) -> str:
    [url] = re.findall(r"http://localhost(/account/email/\S+)", message.body)
    return url


def test_change_your_name(login, member, data):
    browser = login(member)
    response = browser.post_form("/account/name", {"profile-name": "  Mina   Khan "}, page="/account")
    assert response.status_code == 302
    assert _user(data)[1] == "Mina Khan"
    assert "Mina Khan" in browser.get("/account").text
    with data() as s:
        assert s.scalar(sa.select(AuditEvent.after).where(AuditEvent.action == "user.name_changed")) == {
            "name": "Mina Khan"
        }


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Enter your name."),
        ("   ", "Enter your name."),
        ("x" * 201, "Use at most 200 characters."),
        ("=HYPERLINK(1)", "The name cannot start with =, +, - or @ (it looks like a spreadsheet formula)."),
        ("Mina\u202eKhan", "invisible text-direction control (U+202E)"),
    ],
)
def test_a_bad_name_is_refused_with_a_message_and_nothing_changes(login, member, data, name, message):
    browser = login(member)
    response = browser.post_form("/account/name", {"profile-name": name}, page="/account")
    assert response.status_code == 422
    [shown] = field_errors(response)["profile-name"]
    assert message in shown
    assert _user(data)[1] == "Mina Member"


def test_an_email_change_waits_for_the_new_address_and_tells_the_old(login, make_browser, member, data, outbox):
    browser = login(member)
    response = browser.post_form("/account/email", {"change-email": "Mina.New@Example.org"}, page="/account")
    assert response.status_code == 302
    confirm, notice = outbox
    assert confirm.to == ["mina.new@example.org"] and notice.to == ["member@example.org"]
    assert "/account/email/" not in notice.body  # the old address is told, but gets no link to make the change
    assert _user(data)[2] == "member@example.org"  # nothing changes yet
    assert "mina.new@example.org" in browser.get("/account").text  # the page shows the pending change
    link = _link(confirm)
    stranger = make_browser()  # the link works in any browser: it goes to the new address's owner
    assert "mina.new@example.org" in stranger.get(link).text
    assert stranger.post_form(link, {}).status_code == 302
    assert _user(data, "mina.new@example.org") is not None and _user(data) is None
    again = stranger.get(link)
    assert again.status_code == 400 and "already been used" in text_of(again)
    make_browser().login("mina.new@example.org")


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter the new email address."),
        ("not-an-address", "Enter a valid email address"),
        ("TAKEN@example.org", "Another account already uses that email address."),
        ("member@example.org", "That is already your email address."),
        ("a" * 250 + "@x.org", "Use at most 254 characters."),
        ("t\u0430ken@example.org", "look-alike"),  # Cyrillic а
    ],
)
def test_a_bad_new_address_is_refused_and_nothing_is_sent(login, member, data, outbox, email, message):
    browser = login(member)
    response = browser.post_form("/account/email", {"change-email": email}, page="/account")
    assert response.status_code == 422
    [shown] = field_errors(response)["change-email"]
    assert message in shown
    assert outbox == [] and _user(data)[2] == "member@example.org"


def test_an_address_taken_while_waiting_is_refused_at_confirmation(login, member, data, outbox):
    browser = login(member)
    browser.post_form("/account/email", {"change-email": "later@example.org"}, page="/account")
    link = _link(outbox[0])
    with data():
        UserFactory(email="later@example.org")
    response = browser.post_form(link, {})
    assert response.status_code == 400 and "Another account already uses that email address" in text_of(response)
    assert _user(data)[2] == "member@example.org"


def test_a_newer_email_change_supersedes_the_older_and_links_expire(login, member, outbox):
    start = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        browser = login(member)
        browser.post_form("/account/email", {"change-email": "one@example.org"}, page="/account")
        browser.post_form("/account/email", {"change-email": "two@example.org"}, page="/account")
        first, second = _link(outbox[0]), _link(outbox[2])
        assert "A newer link was sent" in text_of(browser.get(first))
        traveller.move_to(start + timedelta(hours=24, seconds=1))
        assert "This link has expired." in text_of(browser.get(second))


def test_see_and_end_another_session(login, member, data):
    laptop, phone = login(member), login(member)
    page = laptop.get("/account")
    assert "(this browser)" in page.text
    with data() as s:
        ids = s.scalars(sa.select(UserSession.id).order_by(UserSession.id)).all()
    assert len(ids) == 2
    # The laptop ends the phone's session (the second one made).
    assert laptop.post_form(f"/account/sessions/{ids[1]}/end", {}, page="/account").status_code == 302
    assert phone.get("/account").status_code == 302  # sent to log in
    assert laptop.get("/account").status_code == 200
    # A session that is not yours (or already ended) is not found.
    assert laptop.post_form(f"/account/sessions/{ids[1]}/end", {}, page="/account").status_code == 404


def test_end_every_other_session_keeps_this_one(login, member):
    laptop, phone = login(member), login(member)
    response = laptop.post_form("/account/sessions/end-all", {"keep": "this"}, page="/account")
    assert response.status_code == 302
    assert laptop.get("/account").status_code == 200
    assert phone.get("/account").status_code == 302


def test_sign_out_everywhere_includes_this_browser(login, member, data):
    laptop, phone = login(member), login(member)
    response = laptop.post_form("/account/sessions/end-all", {}, page="/account")
    assert response.headers["Location"] == "/login"
    assert laptop.get("/account").status_code == 302 and phone.get("/account").status_code == 302
    with data() as s:
        assert s.scalar(sa.select(sa.func.count()).where(UserSession.ended_at.is_(None))) == 0
