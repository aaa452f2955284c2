"""Login limits count failures only, per address and per account; someone else's guesses hold the owner up
for at most the account window (a minute), and not at all in a browser that has logged in before.
Behind a reverse proxy the client address comes from X-Forwarded-For only when PROXY_FIX_X_FOR says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app import create_app
from app.extensions import db
from app.models import AuditEvent
from config import TestConfig
from tests.factories import PASSWORD, UserFactory

WRONG = "not-the-password-at-all"


@pytest.fixture
def owner(data):
    with data():
        return UserFactory(email="owner@example.org").email


def _from(make_browser, address):
    browser = make_browser()
    browser.client.environ_base["REMOTE_ADDR"] = address
    return browser


def _log_in(browser, email, password=PASSWORD):
    return browser.post_form("/login", {"email": email, "password": password})


def _guess_from_ten_addresses(make_browser, email, first=1):
    for n in range(first, first + 10):
        assert _log_in(_from(make_browser, f"198.51.100.{n}"), email, WRONG).status_code == 422


def test_ten_guesses_from_elsewhere_do_not_lock_the_owner_out_of_their_own_browser(make_browser, owner):
    """The issue's reproduction: 10 wrong guesses from other addresses, then the owner's right password from a
    fresh address got 429. The owner's browser (it has logged in before) now gets straight in."""
    laptop = _from(make_browser, "192.0.2.10")
    assert _log_in(laptop, owner).status_code == 302
    laptop.post_form("/logout", page="/")
    _guess_from_ten_addresses(make_browser, owner)
    laptop.client.environ_base["REMOTE_ADDR"] = "203.0.113.77"  # the same laptop, at a café
    assert _log_in(laptop, owner).status_code == 302
    assert laptop.get("/").status_code == 200


def test_a_new_browser_waits_at_most_the_stated_minute(make_browser, owner):
    start = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        _guess_from_ten_addresses(make_browser, owner)
        phone = _from(make_browser, "203.0.113.78")
        held = _log_in(phone, owner)
        assert held.status_code == 429
        assert "Too many attempts" in held.text and "Wait a minute, then try again." in held.text
        assert int(held.headers["Retry-After"]) <= 61  # the rest of the minute, rounded up
        traveller.shift(timedelta(seconds=61))
        assert _log_in(phone, owner).status_code == 302


def test_slow_guessing_all_hour_never_locks_the_owner_out(app, make_browser, owner, monkeypatch):
    """Guessing just under the per-minute rate for six minutes: the old per-account hourly allowance (50 an hour by
    default, 10 here) then locked the owner out for the rest of the hour; the account limit is now one minute."""
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute;10 per hour")
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_RATE_LIMIT", "3 per minute")
    start = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        for minute in range(6):
            for n in range(2):
                address = f"198.51.{100 + minute}.{n + 1}"
                assert _log_in(_from(make_browser, address), owner, WRONG).status_code == 422
            traveller.shift(timedelta(seconds=61))
        assert _log_in(_from(make_browser, "203.0.113.79"), owner).status_code == 302


def test_successful_logins_do_not_count(make_browser, data):
    """An office behind one address: twelve colleagues log in within a minute (today the eleventh got 429)."""
    with data():
        emails = [UserFactory(email=f"colleague{n}@example.org").email for n in range(12)]
    for email in emails:
        assert _log_in(_from(make_browser, "192.0.2.200"), email).status_code == 302
    # and one person logging in again and again
    for _ in range(12):
        assert _log_in(_from(make_browser, "192.0.2.201"), emails[0]).status_code == 302


def test_failures_from_one_address_still_lock_that_address(make_browser, owner):
    guesser = _from(make_browser, "198.51.100.50")
    for n in range(10):
        assert _log_in(guesser, f"someone{n}@example.org", WRONG).status_code == 422
    assert _log_in(guesser, owner).status_code == 429  # even a right password, from that address
    assert _log_in(_from(make_browser, "198.51.100.51"), owner).status_code == 302


def test_failures_on_one_account_still_hold_back_new_browsers_whatever_their_address(make_browser, owner):
    _guess_from_ten_addresses(make_browser, owner)
    assert _log_in(_from(make_browser, "198.51.100.90"), owner, WRONG).status_code == 429
    assert _log_in(_from(make_browser, "198.51.100.91"), owner).status_code == 429
    assert _log_in(_from(make_browser, "198.51.100.92"), owner.upper()).status_code == 429  # same account
    # Another account is not affected.
    assert _log_in(_from(make_browser, "198.51.100.93"), "other@example.org", WRONG).status_code == 422


def test_the_remembered_browser_is_for_its_own_account_only_and_cannot_be_forged(make_browser, owner, data):
    with data():
        other = UserFactory(email="other@example.org").email
    laptop = _from(make_browser, "192.0.2.11")
    assert _log_in(laptop, owner).status_code == 302
    laptop.post_form("/logout", page="/")
    _guess_from_ten_addresses(make_browser, other)
    assert _log_in(laptop, other).status_code == 429  # the cookie names the owner's account, not this one
    forged = _from(make_browser, "192.0.2.12")
    forged.client.set_cookie("login_device", laptop.client.get_cookie("login_device").value[:-2] + "xx")
    _guess_from_ten_addresses(make_browser, owner, first=20)
    assert _log_in(forged, owner).status_code == 429
    assert _log_in(laptop, owner).status_code == 302


def test_the_remembered_browser_cookie_is_httponly_and_does_not_show_the_address(make_browser, owner):
    response = _log_in(_from(make_browser, "192.0.2.13"), owner)
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("login_device="))
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    assert "owner" not in header.lower()


# --- reverse proxies ---------------------------------------------------------------------------


@pytest.fixture
def proxied_app(database_url, tmp_path):
    """The app as configured behind one proxy (PROXY_FIX_X_FOR=1), over the test database."""
    proxied = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        UPLOAD_DIR=str(tmp_path / "uploads"),
        PACK_DIR=str(tmp_path / "packs"),
        PROXY_FIX_X_FOR=1,
        PROXY_FIX_X_PROTO=1,
    )
    yield proxied
    with proxied.app_context():
        db.session.remove()
        db.engine.dispose()  # its own connection pool: close it, or PostgreSQL connections outlive the test


def _failed_login_addresses(data) -> list[str]:
    with data() as s:
        return list(
            s.scalars(
                sa.select(AuditEvent.ip_address).where(AuditEvent.action == "auth.login_failed").order_by(AuditEvent.id)
            )
        )


def _through_proxy(client, email, password, client_address):
    from tests.conftest import csrf_from

    token = csrf_from(client.get("/login", environ_base={"REMOTE_ADDR": "10.0.0.2"}).text)
    return client.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": password},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},  # the proxy
        headers={"X-Forwarded-For": client_address, "X-Forwarded-Proto": "http"},
    )


def test_with_proxy_fix_the_client_address_comes_from_x_forwarded_for(proxied_app, owner, data, app, monkeypatch):
    monkeypatch.setitem(proxied_app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    client = proxied_app.test_client()
    assert _through_proxy(client, owner, WRONG, "203.0.113.5").status_code == 422
    assert _failed_login_addresses(data) == ["203.0.113.5"]
    # One person's failures no longer lock out everyone behind the proxy.
    for _ in range(3):
        _through_proxy(client, "x@example.org", WRONG, "203.0.113.6")
    assert _through_proxy(client, "x@example.org", WRONG, "203.0.113.6").status_code == 429
    assert _through_proxy(proxied_app.test_client(), owner, PASSWORD, "203.0.113.7").status_code == 302


def test_without_proxy_fix_x_forwarded_for_is_ignored(app, owner, data):
    assert app.config["PROXY_FIX_X_FOR"] == 0  # the default: off
    response = _through_proxy(app.test_client(), owner, WRONG, "203.0.113.5")
    assert response.status_code == 422
    assert _failed_login_addresses(data) == ["10.0.0.2"]  # the connection's address: a client cannot choose it


def test_proxy_fix_is_off_unless_the_environment_turns_it_on():
    assert TestConfig.PROXY_FIX_X_FOR == 0 and TestConfig.PROXY_FIX_X_PROTO == 0
