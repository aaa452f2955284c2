"""Bearer tokens, problem+json errors, body limits and the rate limit, across the API."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ApiToken, AuditEvent, User
from app.services import users

PROBLEM = "application/problem+json"


def _is_problem(response, status: int, slug: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.mimetype == PROBLEM
    body = response.json
    assert body["status"] == status
    assert body["title"]
    if slug:
        assert body["type"] == f"/api/v1/problems/{slug}"
    assert "Traceback" not in response.text
    return body


@pytest.mark.parametrize(
    "path", ["/bids", "/bids/1", "/bids/1/totals", "/bids/1/pledge", "/bids/1/pledges", "/bids/1/audit", "/me"]
)
def test_no_token_is_401_with_a_bearer_challenge(api, world, path):
    response = api.get(path.replace("/1", f"/{world.bid_id}"))
    body = _is_problem(response, 401, "unauthorised")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert "API token" in body["detail"]


@pytest.mark.parametrize(
    "header", ["Bearer cbm_not-a-real-token", "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer", "Token abc"]
)
def test_a_bad_token_is_401_invalid_token(api, world, header):
    response = api.get("/bids", headers={"Authorization": header})
    _is_problem(response, 401, "unauthorised")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_revoked_token_stops_working(api, world, committed):
    assert api.get("/bids", world.member).status_code == 200

    def revoke():
        row = db.session.scalar(sa.select(ApiToken).where(ApiToken.prefix == world.member[:8]))
        row.revoked_at = row.created_at

    committed(revoke)
    _is_problem(api.get("/bids", world.member), 401)


def test_a_disabled_users_token_stops_working_and_the_use_is_audited(api, world, committed):
    def disable():
        user = db.session.scalar(sa.select(User).where(User.email == world.member_email))
        users.set_enabled(None, user, False)

    committed(disable)
    _is_problem(api.get("/bids", world.member), 401)
    _is_problem(api.get("/bids", world.member), 401)

    def audited():
        return db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("api_token.%"))).all()

    # once a minute at most, however often the script retries
    assert committed(audited).count("api_token.refused_disabled") == 1


def test_session_cookies_do_not_authenticate_the_api(browser, api, world, committed):
    browser.login(world.member_email)
    response = api.get("/bids")  # same client, logged-in cookie, no bearer
    _is_problem(response, 401)


def test_unknown_api_paths_and_methods_are_problems(api, world):
    _is_problem(api.get("/nothing-here", world.member), 404, "not-found")
    response = api.call("PUT", "/bids", world.member, json={})
    _is_problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_a_body_that_is_not_json_is_400(api, world):
    response = api.client.post(
        "/api/v1/bids",
        data="title=Hello",
        headers={"Authorization": f"Bearer {world.convenor}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    body = _is_problem(response, 400, "malformed")
    assert "JSON" in body["detail"]


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"target_pence": NaN}', "not valid JSON"),
        ("", "JSON"),
    ],
)
def test_malformed_json_is_400(api, world, raw, fragment):
    response = api.client.post(
        "/api/v1/bids",
        data=raw,
        headers={"Authorization": f"Bearer {world.convenor}", "Content-Type": "application/json"},
    )
    assert fragment in _is_problem(response, 400, "malformed")["detail"]


def test_a_body_over_the_api_limit_is_413(app, api, world):
    limit = app.config["API_MAX_BODY_BYTES"]
    response = api.post("/bids", world.convenor, json={"summary": "x" * (limit + 10)})
    body = _is_problem(response, 413, "too-large")
    assert f"{limit:,}" in body["detail"]


def test_unknown_query_parameters_are_refused(api, world):
    body = _is_problem(api.get("/bids?sort=amount", world.convenor), 422, "validation-error")
    assert body["errors"] == {"sort": ["Unknown query parameter."]}


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("page=0", "page", "Must be a whole number from 1."),
        ("page=two", "page", "Must be a whole number from 1."),
        ("per_page=101", "per_page", "Must be at most 100."),
        ("per_page=-5", "per_page", "Must be a whole number from 1."),
    ],
)
def test_bad_pagination_is_422_naming_the_parameter(api, world, query, field, message):
    body = _is_problem(api.get(f"/bids?{query}", world.convenor), 422)
    assert body["errors"] == {field: [message]}


def test_rate_limit_is_per_token_with_retry_after(app, api, world, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    assert api.get("/bids", world.member).status_code == 200
    assert api.get(f"/bids/{world.bid_id}", world.member).status_code == 200
    assert api.get(f"/bids/{world.bid_id}/pledge", world.member).status_code == 200
    response = api.get(f"/bids/{world.bid_id}/totals", world.member)  # one allowance across the API
    _is_problem(response, 429, "rate-limited")
    assert int(response.headers["Retry-After"]) > 0
    # another token has its own allowance
    assert api.get("/bids", world.convenor).status_code == 200


def test_an_unexpected_error_is_a_500_problem_without_internals(app, api, world, monkeypatch):
    from app.services import access

    def boom(user):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(access, "visible_bids", boom)
    response = api.get("/bids", world.member)
    body = _is_problem(response, 500, "server-error")
    assert "secret internal detail" not in response.text
    assert body["detail"]


def test_the_description_is_public(api):
    response = api.get("/openapi.json")
    assert response.status_code == 200
    assert response.json["openapi"] == "3.1.0"
