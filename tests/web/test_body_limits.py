"""Request bodies over the configured sizes are refused with 413 before anything is read into a form or saved."""

from __future__ import annotations

import pytest

from app.models import Pledge
from tests.conftest import csrf_from
from tests.factories import BidFactory, member_of


@pytest.fixture
def member(data, login):
    with data():
        bid = BidFactory()
        user = member_of(bid, email="m@example.org")
        bid_id = user and bid.id
    return login("m@example.org"), bid_id


def _pledge(statement: str, token: str) -> dict:
    return {
        "csrf_token": token,
        "amount": "£250,000",
        "homes": "100",
        "regions": "NW",
        "statement": statement,
        "status": "indicative",
        "accept_terms": "y",
        "version": "0",
    }


def test_a_form_post_over_the_form_limit_is_413(app, member, count):
    browser, bid_id = member
    limit = app.config["FORM_MAX_BODY_BYTES"]
    assert limit and limit < app.config["MAX_CONTENT_LENGTH"]
    token = csrf_from(browser.get(f"/bids/{bid_id}/pledge").text)
    response = browser.client.post(f"/bids/{bid_id}/pledge", data=_pledge("x" * (limit + 1), token))
    assert response.status_code == 413
    assert "That file or form is too large" in response.text
    assert count(Pledge) == 0
    # The same form with a statement of ordinary length is saved: the 413 was the size, nothing else.
    response = browser.client.post(f"/bids/{bid_id}/pledge", data=_pledge("Grants.", token))
    assert response.status_code == 302 and count(Pledge) == 1


def test_a_form_post_over_max_content_length_is_413(app, member, count, monkeypatch):
    browser, bid_id = member
    token = csrf_from(browser.get(f"/bids/{bid_id}/pledge").text)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    response = browser.client.post(f"/bids/{bid_id}/pledge", data=_pledge("y" * 3000, token))
    assert response.status_code == 413
    assert "That file or form is too large" in response.text
    assert count(Pledge) == 0


def test_the_login_form_is_capped_too(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    response = client.post("/login", data={"email": "a@example.org", "password": "p" * 4000})
    assert response.status_code == 413


def test_a_multipart_text_field_over_the_form_memory_limit_is_413(app, member, count):
    browser, bid_id = member
    limit = app.config["MAX_FORM_MEMORY_SIZE"]
    token = csrf_from(browser.get(f"/bids/{bid_id}/pledge").text)
    data = _pledge("z" * (limit + 1), token)
    response = browser.client.post(f"/bids/{bid_id}/pledge", data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert count(Pledge) == 0
