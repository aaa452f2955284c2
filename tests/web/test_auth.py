"""Logging in and out, rate limits, session invalidation, password changes, cookie flags and timeouts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.models import AuditEvent, User
from app.services import users
from config import ProductionConfig
from tests.factories import PASSWORD, ConvenorFactory, UserFactory
from tests.web.pages import field_errors, text_of

FAILED = "That email address and password do not match an account. Check them and try again."


@pytest.fixture
def member(data):
    with data():
        user = UserFactory(email="member@example.org")
        return user.email


def _log_in(browser, email, password=PASSWORD, **kwargs):
    return browser.post_form("/login", {"email": email, "password": password}, **kwargs)


def test_login_succeeds_and_is_audited(browser, member, data):
    response = _log_in(browser, member)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = browser.get("/")
    assert page.status_code == 200
    assert "Your bids" in page.text
    with data() as s:
        user = s.scalar(sa.select(User).where(User.email == member))
        actions = s.scalars(sa.select(AuditEvent.action).where(AuditEvent.subject_id == user.id)).all()
        assert user.last_login_at is not None
    assert "auth.login" in actions


def test_login_takes_the_email_in_any_case_and_with_spaces(browser, member):
    assert _log_in(browser, "  MEMBER@Example.org ").status_code == 302


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("nobody@example.org", PASSWORD),  # unknown email
        ("member@example.org", "wrong-password-entirely"),  # wrong password
        ("member@example.org", PASSWORD.upper()),  # passwords are case-sensitive
        ("not-an-email", PASSWORD),
    ],
)
def test_login_failure_says_the_same_thing_whatever_was_wrong(browser, member, data, email, password):
    response = _log_in(browser, email, password)
    assert response.status_code == 422
    assert FAILED in text_of(response)
    assert browser.get("/").status_code == 302  # still logged out
    with data() as s:
        failures = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "auth.login_failed")).all()
        assert len(failures) == 1
        assert failures[0].after["email"]


def test_login_form_asks_for_missing_values_beside_the_fields(browser, member):
    response = _log_in(browser, "", "")
    assert response.status_code == 422
    errors = field_errors(response)
    assert errors["email"] == ["Enter your email address."]
    assert errors["password"] == ["Enter your password."]


def test_login_without_csrf_token_is_refused_with_a_page(client, member):
    response = client.post("/login", data={"email": member, "password": PASSWORD})
    assert response.status_code == 400
    assert "This form has expired" in response.text


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_login_never_redirects_off_site(browser, member, target):
    response = browser.post_form(f"/login?next={target}", {"email": member, "password": PASSWORD}, page="/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_returns_to_the_page_asked_for(browser, member):
    response = browser.post_form("/login?next=/account", {"email": member, "password": PASSWORD}, page="/login")
    assert response.headers["Location"] == "/account"


# --- rate limits -------------------------------------------------------------------------------


@pytest.fixture
def three_per_minute(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_RATE_LIMIT", "3 per minute")


def _from(make_browser, address):
    browser = make_browser()
    browser.client.environ_base["REMOTE_ADDR"] = address
    return browser


def test_rate_limit_per_address_gives_the_friendly_page(make_browser, member, three_per_minute):
    browser = _from(make_browser, "203.0.113.7")
    for n in range(3):
        assert _log_in(browser, f"guess{n}@example.org").status_code == 422
    limited = _log_in(browser, member)  # even the right password, once limited
    assert limited.status_code == 429
    assert "Too many attempts" in limited.text
    assert "Wait a minute, then try again." in limited.text
    assert "Traceback" not in limited.text
    assert browser.get("/").status_code == 302
    # Another address is not affected.
    assert _log_in(_from(make_browser, "203.0.113.8"), member).status_code == 302


def test_rate_limit_per_account_across_addresses(make_browser, member, three_per_minute):
    for n in range(3):
        assert _log_in(_from(make_browser, f"198.51.100.{n + 1}"), member, "wrong-password-x").status_code == 422
    limited = _log_in(_from(make_browser, "198.51.100.99"), member)
    assert limited.status_code == 429
    assert "Too many attempts" in limited.text
    # A different account from a fresh address can still log in.
    with_other = _from(make_browser, "198.51.100.100")
    assert _log_in(with_other, "someone@example.org").status_code == 422


def test_rate_limit_counts_only_posts(make_browser, member, three_per_minute):
    browser = _from(make_browser, "192.0.2.50")
    for _ in range(10):
        assert browser.get("/login").status_code == 200
    assert _log_in(browser, member).status_code == 302


def test_rate_limit_ends_after_its_window(make_browser, member, three_per_minute):
    start = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        browser = _from(make_browser, "192.0.2.60")
        for _ in range(3):
            _log_in(browser, member, "wrong-password-x")
        assert _log_in(browser, member).status_code == 429
        traveller.shift(timedelta(seconds=61))
        assert _log_in(browser, member).status_code == 302


# --- logout and session invalidation ------------------------------------------------------------


def _copy_session(source, target, name="session"):
    cookie = source.client.get_cookie(name)
    assert cookie is not None
    target.client.set_cookie(name, cookie.value)


def test_logout_ends_every_copy_of_the_session(login, make_browser, member):
    browser = login(member)
    copy = make_browser()
    _copy_session(browser, copy)
    assert copy.get("/").status_code == 200  # the copy works while logged in

    response = browser.post_form("/logout", page="/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "You have logged out." in browser.get("/login").text

    stale = copy.get("/")
    assert stale.status_code == 302
    assert stale.headers["Location"].startswith("/login")
    assert browser.get("/").status_code == 302


def test_logout_needs_a_post_with_csrf(login, member):
    browser = login(member)
    assert browser.get("/logout").status_code == 405
    assert browser.client.post("/logout").status_code == 400
    assert browser.get("/").status_code == 200


def test_password_change_ends_other_sessions_and_keeps_this_one(login, make_browser, member):
    here, elsewhere = login(member), login(member)
    new_password = "a-much-better-passphrase"
    response = here.post_form("/account", {"current_password": PASSWORD, "new_password": new_password})
    assert response.status_code == 302
    assert "Your password has been changed" in here.get("/account").text
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302

    assert _log_in(make_browser(), member).status_code == 422  # the old password no longer works
    assert _log_in(make_browser(), member, new_password).status_code == 302


@pytest.mark.parametrize(
    ("new_password", "message"),
    [
        ("short-pw", "Use at least 10 characters."),
        ("password123", "That password is too common. Choose one that is harder to guess."),
        ("aaaaaaaaaaaa", "That password is too common. Choose one that is harder to guess."),
        ("member@example.org", "Do not use your email address as your password."),
        ("", "Enter a new password."),
    ],
)
def test_password_change_refuses_weak_passwords_beside_the_field(login, make_browser, member, new_password, message):
    browser = login(member)
    other = login(member)
    response = browser.post_form("/account", {"current_password": PASSWORD, "new_password": new_password})
    assert response.status_code == 422
    assert field_errors(response)["new_password"] == [message]
    assert other.get("/").status_code == 200  # nothing changed: other sessions live on
    assert _log_in(make_browser(), member).status_code == 302  # and the old password still works


def test_password_change_needs_the_current_password(login, member):
    browser = login(member)
    response = browser.post_form(
        "/account", {"current_password": "not-my-password", "new_password": "fine-passphrase-9"}
    )
    assert response.status_code == 422
    assert field_errors(response)["current_password"] == ["Your current password is not right."]


def test_disabled_user_cannot_log_in_and_their_session_stops(login, make_browser, member, data):
    browser = login(member)
    with data() as s:
        users.set_enabled(None, s.scalar(sa.select(User).where(User.email == member)), False)
    response = browser.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    refused = _log_in(make_browser(), member)
    assert refused.status_code == 422
    assert FAILED in text_of(refused)  # the same message: no hint that the account exists


def test_session_is_kept_when_the_user_is_disabled_then_enabled_only_by_logging_in_again(
    login, make_browser, member, data
):
    browser = login(member)
    with data() as s:
        user = s.scalar(sa.select(User).where(User.email == member))
        users.set_enabled(None, user, False)
        users.set_enabled(None, user, True)
    assert browser.get("/").status_code == 302  # the old session stays ended
    assert _log_in(make_browser(), member).status_code == 302


# --- cookie flags and timeouts ----------------------------------------------------------------


def test_session_cookie_flags_in_the_production_configuration(app, make_browser, member, monkeypatch):
    for key in ("SESSION_COOKIE_NAME", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE"):
        monkeypatch.setitem(app.config, key, getattr(ProductionConfig, key))
    browser = make_browser()
    # Over HTTPS Flask-WTF also checks that the Referer is this site, as a browser sends it.
    response = browser.post_form(
        "/login",
        {"email": member, "password": PASSWORD},
        base_url="https://localhost",
        page="https://localhost/login",
        headers={"Referer": "https://localhost/login"},
    )
    assert response.status_code == 302
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("__Host-session="))
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in header.split(";")[1:]}
    assert "secure" in flags
    assert "httponly" in flags
    assert flags["samesite"] == "SameSite=Lax"
    assert flags["path"] == "Path=/"
    assert "domain" not in flags  # a __Host- cookie must not name a domain
    assert browser.get("/", base_url="https://localhost").status_code == 200


def test_development_cookie_is_not_secure_only():
    from config import DevelopmentConfig

    assert DevelopmentConfig.SESSION_COOKIE_SECURE is False
    assert ProductionConfig.SESSION_COOKIE_SECURE is True


def test_idle_timeout_logs_out_with_a_message(app, make_browser, member):
    idle = app.config["SESSION_IDLE_SECONDS"]
    start = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        browser = make_browser()
        browser.login(member)
        traveller.shift(timedelta(seconds=idle - 60))
        assert browser.get("/").status_code == 200  # activity keeps the session alive
        traveller.shift(timedelta(seconds=idle - 60))
        assert browser.get("/").status_code == 200
        traveller.shift(timedelta(seconds=idle + 1))
        response = browser.get("/")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
        page = browser.get(response.headers["Location"])
        assert "You were logged out after a period without activity." in page.text


def test_absolute_timeout_ends_even_an_active_session(app, make_browser, member):
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
    seconds = lifetime.total_seconds() if hasattr(lifetime, "total_seconds") else lifetime
    step = app.config["SESSION_IDLE_SECONDS"] - 60
    start = datetime(2027, 2, 2, 8, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        browser = make_browser()
        browser.login(member)
        elapsed = 0
        while elapsed + step < seconds:
            traveller.shift(timedelta(seconds=step))
            elapsed += step
            assert browser.get("/").status_code == 200
        traveller.shift(timedelta(seconds=seconds - elapsed + 1))
        assert browser.get("/").status_code == 302


def test_convenor_lands_on_their_bids(login, data):
    with data():
        email = ConvenorFactory().email
    page = login(email).get("/")
    assert "Create a bid" in page.text
