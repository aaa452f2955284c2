"""Account enumeration by timing: every login attempt costs one password hash, known account or not."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

import app.models.organisation
import app.services.users
from app.extensions import db
from app.models import User
from app.services import users
from tests.factories import PASSWORD, UserFactory
from tests.locks import only_sqlite, recording_lock

FAILED = "That email address and password do not match an account. Check them and try again."


@pytest.fixture
def hasher_calls(monkeypatch):
    """Every call of Werkzeug's password check, wherever the login path makes it: the hashes checked."""
    calls: list[str] = []

    def counting(pwhash, password):
        calls.append(pwhash)
        return check_password_hash(pwhash, password)

    monkeypatch.setattr(app.models.organisation, "check_password_hash", counting)
    # raising=False: the login path may not have called it from here before
    monkeypatch.setattr(app.services.users, "check_password_hash", counting, raising=False)
    return calls


@pytest.fixture
def accounts(data):
    with data():
        UserFactory(email="member@example.org")
        UserFactory(email="gone@example.org", is_enabled=False)


@pytest.mark.parametrize(
    ("email", "password", "status"),
    [
        ("member@example.org", PASSWORD, 302),  # right password
        ("member@example.org", "wrong-password-entirely", 422),  # known email, wrong password
        ("nobody@example.org", "wrong-password-entirely", 422),  # unknown email
        ("nobody@example.org", PASSWORD, 422),
        ("not-an-email", PASSWORD, 422),  # not even an address
        ("gone@example.org", PASSWORD, 422),  # disabled account, right password
        ("gone@example.org", "wrong-password-entirely", 422),
    ],
)
def test_every_login_attempt_checks_exactly_one_password_hash(browser, accounts, hasher_calls, email, password, status):
    response = browser.post_form("/login", {"email": email, "password": password})
    assert response.status_code == status
    if status == 422:
        assert FAILED in response.text
    assert len(hasher_calls) == 1
    assert hasher_calls[0].startswith(_method(generate_password_hash("x")))


def test_the_dummy_hash_costs_what_a_real_one_does_and_is_made_once(ctx, accounts):
    real = db.session.scalar(sa.select(User.password_hash).where(User.email == "member@example.org"))
    dummy = users._dummy_hash()
    assert _method(dummy) == _method(real) == _method(generate_password_hash("x"))  # e.g. scrypt:32768:8:1
    assert users._dummy_hash() is dummy
    assert not check_password_hash(dummy, PASSWORD)


def _method(pwhash: str) -> str:
    return pwhash.split("$", 1)[0]


@only_sqlite
@pytest.mark.parametrize("email", ["member@example.org", "nobody@example.org"])
def test_the_password_hash_runs_while_the_write_lock_is_free(browser, accounts, monkeypatch, database_url, email):
    """A login's quarter-second hash must not hold SQLite's write lock: in a rush every writer would queue behind it."""
    free = recording_lock(monkeypatch, app.services.users, "check_password_hash", database_url)
    response = browser.post_form("/login", {"email": email, "password": PASSWORD})
    assert response.status_code == (302 if email.startswith("member") else 422)
    assert free == [True]
