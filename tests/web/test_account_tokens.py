"""API tokens on the account page: listed, made (shown once), revoked, behind CSRF; and `flask users token`.

Data is made in its own app context and committed: requests must not share the test's context (Flask-WTF
keeps the CSRF token on ``g``).
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ApiToken, User
from app.services import api_tokens
from tests.conftest import csrf_from
from tests.factories import UserFactory

TOKEN = re.compile(r'<code class="token" id="new-token">(cbm_[^<]+)</code>')
EMAIL = "tokens@example.org"


@pytest.fixture
def run(app):
    def run(fn):
        with app.app_context():
            result = fn()
            db.session.commit()
            db.session.remove()
            return result

    return run


def _user(email: str = EMAIL, **values) -> int:
    return UserFactory(email=email, **values).id


def _token_for(email: str, name: str = "Script") -> tuple[str, int]:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    plaintext, row = api_tokens.create_token(user, name)
    db.session.flush()
    return plaintext, row.id


def _revoked_at(token_id: int):
    return db.session.get(ApiToken, token_id).revoked_at


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken))


def test_create_shows_the_token_once_and_it_works(run, browser, client):
    run(_user)
    browser.login(EMAIL)
    response = browser.post_form("/account/tokens", {"name": "Finance system"}, page="/account")
    assert response.status_code == 201, response.text[:500]
    plaintext = TOKEN.search(response.text).group(1)
    assert "will not be shown again" in response.text
    assert response.headers["Cache-Control"] == "no-store"
    page = browser.get("/account").text
    assert plaintext not in page  # never shown again
    assert "Finance system" in page and plaintext[:8] in page and "Never" in page
    api = client.get("/api/v1/bids", headers={"Authorization": f"Bearer {plaintext}"})
    assert api.status_code == 200
    assert "Never" not in browser.get("/account").text  # last used is shown now


def test_a_token_needs_a_name(run, browser):
    run(_user)
    browser.login(EMAIL)
    response = browser.post_form("/account/tokens", {"name": ""}, page="/account")
    assert response.status_code == 422
    assert "Give the token a name." in response.text
    assert run(_count) == 0


def test_forms_need_the_csrf_token(run, browser, client):
    run(_user)
    browser.login(EMAIL)
    assert client.post("/account/tokens", data={"name": "No CSRF"}).status_code == 400
    _plaintext, token_id = run(lambda: _token_for(EMAIL))
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 400
    assert run(lambda: _revoked_at(token_id)) is None
    assert run(_count) == 1


def test_revoke_stops_the_token(run, browser, client):
    run(_user)
    browser.login(EMAIL)
    plaintext, token_id = run(lambda: _token_for(EMAIL))
    token = csrf_from(browser.get("/account").text)
    response = client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": token})
    assert response.status_code == 302
    assert "You have no API tokens." in browser.get("/account").text
    assert run(lambda: _revoked_at(token_id)) is not None
    assert client.get("/api/v1/bids", headers={"Authorization": f"Bearer {plaintext}"}).status_code == 401


def test_another_users_token_is_404(run, browser, client):
    run(_user)
    run(lambda: _user("other@example.org"))
    _plaintext, token_id = run(lambda: _token_for("other@example.org", "Theirs"))
    browser.login(EMAIL)
    token = csrf_from(browser.get("/account").text)
    assert client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": token}).status_code == 404
    assert run(lambda: _revoked_at(token_id)) is None
    assert "Theirs" not in browser.get("/account").text


def test_cli_prints_a_working_token(run, runner, client):
    run(_user)
    result = runner.invoke(args=["users", "token", "Tokens@Example.org", "--name", "Nightly export"])
    assert result.exit_code == 0, result.output
    plaintext = result.output.strip()
    assert plaintext.startswith("cbm_")
    assert run(lambda: db.session.scalar(sa.select(ApiToken.name))) == "Nightly export"
    assert client.get("/api/v1/bids", headers={"Authorization": f"Bearer {plaintext}"}).status_code == 200


def test_cli_refuses_an_unknown_or_disabled_user(run, runner):
    result = runner.invoke(args=["users", "token", "nobody@example.org"])
    assert result.exit_code != 0 and "No user has the email address nobody@example.org" in result.output
    run(lambda: _user("off@example.org", is_enabled=False))
    result = runner.invoke(args=["users", "token", "off@example.org"])
    assert result.exit_code != 0 and "disabled" in result.output
    assert run(_count) == 0
