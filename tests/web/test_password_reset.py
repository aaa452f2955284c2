"""Password reset through the pages, with the outbox and frozen time: one answer for every address, a single-use
link that the next request supersedes, expiry at 60 minutes, and every other session ended afterwards."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.models import AccountLink, AuditEvent, User
from tests.factories import PASSWORD, UserFactory
from tests.web.pages import field_errors, flashes, text_of

NEW = "a-brand-new-passphrase"
ANSWER = "If an account exists for that address, we have sent a link to reset its password."


@pytest.fixture
def member(data):
    with data():
        return UserFactory(email="member@example.org", name="Mina Member").email


def _ask(browser, email):
    return browser.post_form("/password-reset", {"email": email})


def _link(message) -> str:
    [url] = re.findall(r"http://localhost(/password-reset/\S+)", message.body)
    return url


def _audit(data, action):
    with data() as s:
        rows = s.execute(
            sa.select(AuditEvent.actor_id, AuditEvent.after).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
        return [(row.actor_id, row.after) for row in rows]


def test_the_login_page_links_to_the_reset_page(browser):
    page = browser.get("/login")
    assert 'href="/password-reset"' in page.text
    assert "Forgotten your password?" in browser.get("/password-reset").text


def test_known_and_unknown_addresses_get_the_same_answer_and_only_one_email(browser, member, outbox, data):
    known = _ask(browser, "MEMBER@example.org ")
    unknown = _ask(browser, "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    assert ANSWER in text_of(known)
    assert text_of(known) == text_of(unknown)
    [message] = outbox
    assert message.to == ["member@example.org"] and message.subject == "Reset your password"
    assert "60 minutes" in message.body and _link(message)
    events = _audit(data, "auth.password_reset_requested")
    assert [(after["email"], after["sent"]) for _actor, after in events] == [
        ("member@example.org", True),
        ("nobody@example.org", False),
    ]
    with data() as s:
        [row] = s.scalars(sa.select(AccountLink)).all()
        assert row.token_hash and row.token_hash not in message.body  # only the hash is stored


def test_the_link_sets_the_password_logs_in_and_ends_other_sessions(browser, login, member, outbox, data):
    elsewhere = login(member)
    assert elsewhere.get("/account").status_code == 200
    _ask(browser, member)
    link = _link(outbox[0])
    page = browser.get(link)
    assert page.status_code == 200 and "member@example.org" in page.text
    response = browser.post_form(link, {"password": NEW})
    assert response.status_code == 302
    assert browser.get("/account").status_code == 200  # logged in here
    assert elsewhere.get("/account").status_code == 302  # the other browser is logged out
    notice = outbox[-1]
    assert notice.to == ["member@example.org"] and notice.subject == "Your password was changed"
    assert [actor is not None for actor, _after in _audit(data, "user.password_reset")] == [True]
    with data() as s:
        user = s.scalar(sa.select(User).where(User.email == member))
        assert user.check_password(NEW) and not user.check_password(PASSWORD)


def test_a_used_link_is_refused_the_second_time(browser, make_browser, member, outbox):
    _ask(browser, member)
    link = _link(outbox[0])
    assert browser.post_form(link, {"password": NEW}).status_code == 302
    again = make_browser().get(link)
    assert again.status_code == 400
    assert "already been used" in text_of(again) and 'href="/password-reset"' in again.text


def test_a_newer_link_supersedes_the_older(browser, member, outbox):
    _ask(browser, member)
    _ask(browser, member)
    first, second = _link(outbox[0]), _link(outbox[1])
    refused = browser.get(first)
    assert refused.status_code == 400 and "A newer link was sent" in text_of(refused)
    assert browser.get(second).status_code == 200


def test_the_link_expires_after_sixty_minutes(browser, member, outbox):
    start = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        _ask(browser, member)
        link = _link(outbox[0])
        traveller.move_to(start + timedelta(minutes=59, seconds=59))
        assert browser.get(link).status_code == 200
        traveller.move_to(start + timedelta(minutes=60, seconds=1))
        expired = browser.get(link)
        assert expired.status_code == 400 and "This link has expired." in text_of(expired)
        assert browser.post_form(link, {"password": NEW}, page="/password-reset").status_code == 400


@pytest.mark.parametrize("mangle", [lambda t: t[:-3] + "abc", lambda t: t[:20], lambda t: "x" * 600])
def test_a_tampered_link_gets_a_clear_page(browser, member, outbox, mangle):
    _ask(browser, member)
    token = _link(outbox[0]).rsplit("/", 1)[1]
    page = browser.get("/password-reset/" + mangle(token))
    assert page.status_code == 400
    assert "not complete or has been changed" in text_of(page)


def test_a_disabled_user_gets_no_link_and_an_earlier_link_stops(browser, member, outbox, data):
    _ask(browser, member)
    link = _link(outbox[0])
    with data() as s:
        s.scalar(sa.select(User).where(User.email == member)).is_enabled = False
    answer = _ask(browser, member)
    assert ANSWER in text_of(answer) and len(outbox) == 1
    refused = browser.get(link)
    assert refused.status_code == 400 and "cannot be used" in text_of(refused)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", "Enter a new password."),
        ("short", "Use at least 10 characters."),
        ("password123", "That password is too common. Choose one that is harder to guess."),
        ("member@example.org", "Do not use your email address as your password."),
        ("x" * 201, "Use at most 200 characters."),
    ],
)
def test_a_bad_new_password_is_refused_and_the_link_still_works(browser, member, outbox, data, password, message):
    _ask(browser, member)
    link = _link(outbox[0])
    response = browser.post_form(link, {"password": password})
    assert response.status_code == 422
    assert field_errors(response)["password"] == [message]
    with data() as s:
        assert s.scalar(sa.select(User).where(User.email == member)).check_password(PASSWORD)
        assert s.scalar(sa.select(AccountLink.used_at)) is None
    assert browser.get(link).status_code == 200


@pytest.mark.parametrize(
    ("email", "message"),
    [("", "Enter your email address."), ("a" * 250 + "@x.org", "Use at most 254 characters.")],
)
def test_a_bad_request_form_gets_a_specific_message(browser, outbox, email, message):
    response = _ask(browser, email)
    assert response.status_code == 422 and field_errors(response)["email"] == [message]
    assert outbox == []


def test_requests_are_rate_limited_per_address_asked_about(browser, make_browser, member, outbox):
    for _ in range(3):
        assert _ask(make_browser(), member).status_code == 200
    assert _ask(make_browser(), member).status_code == 429
    assert _ask(make_browser(), "nobody@example.org").status_code == 200
    assert len(outbox) == 3


def test_requests_are_rate_limited_per_client(browser, outbox):
    answers = [_ask(browser, f"person{i}@example.org").status_code for i in range(6)]
    assert answers == [200] * 5 + [429]


def test_the_operator_prints_a_link_that_works_once(runner, browser, member, outbox):
    result = runner.invoke(args=["users", "reset-link", "Member@example.org"])
    assert result.exit_code == 0, result.output
    url = result.output.strip()
    assert url.startswith("http://localhost/password-reset/") and outbox == []
    path = url.removeprefix("http://localhost")
    assert browser.post_form(path, {"password": NEW}).status_code == 302
    assert "Your password has been changed" in " ".join(flashes(browser.get("/")))
    unknown = runner.invoke(args=["users", "reset-link", "nobody@example.org"])
    assert unknown.exit_code == 1 and "No enabled account has the address nobody@example.org." in unknown.output


def test_an_unknown_address_costs_the_same_work_as_a_known_one(browser, member, monkeypatch):
    """No timing here: the same steps are counted (a token signed, an email rendered, an audit event)."""
    from app import notifications
    from app.infra import tokens
    from app.services import audit

    calls: list[str] = []
    for module, name in ((tokens, "make"), (notifications, "render"), (audit, "record")):
        original = getattr(module, name)

        def counting(*args, _original=original, _name=name, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, counting)
    _ask(browser, member)
    known = sorted(calls)
    calls.clear()
    _ask(browser, "nobody@example.org")
    assert sorted(calls) == known == ["make", "record", "render"]
