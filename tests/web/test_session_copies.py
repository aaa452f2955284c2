"""A copy of a session cookie, taken before a password change or an account being disabled, stops working;
the session is renewed at login."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.models import User
from app.services import users
from tests.factories import PASSWORD, UserFactory


@pytest.fixture
def member(data):
    with data():
        return UserFactory(email="copied@example.org").email


def _copy(source, make_browser):
    copy = make_browser()
    cookie = source.client.get_cookie("session")
    assert cookie is not None
    copy.client.set_cookie("session", cookie.value)
    assert copy.get("/account").status_code == 200  # the copy works to begin with
    return copy


def test_a_copy_taken_before_a_password_change_stops_working(login, make_browser, member):
    browser = login(member)
    copy = _copy(browser, make_browser)
    response = browser.post_form("/account", {"current_password": PASSWORD, "new_password": "a-much-better-passphrase"})
    assert response.status_code == 302
    assert browser.get("/account").status_code == 200  # the browser that changed it carries on
    stale = copy.get("/account")
    assert stale.status_code == 302 and stale.headers["Location"].startswith("/login")


def test_a_copy_stops_working_when_the_account_is_disabled(login, make_browser, member, data):
    browser = login(member)
    copy = _copy(browser, make_browser)
    with data() as s:
        users.set_enabled(None, s.scalar(sa.select(User).where(User.email == member)), False)
    for holder in (copy, browser):
        stale = holder.get("/account")
        assert stale.status_code == 302 and stale.headers["Location"].startswith("/login")


def test_the_session_is_renewed_at_login(make_browser, member):
    browser = make_browser()
    with browser.client.session_transaction() as planted:
        planted["planted"] = "by someone else"
        planted["_user_id"] = "999.0"
    browser.login(member)
    with browser.client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] != "999.0"
