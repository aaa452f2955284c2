"""Friendly error pages in the browser: not found, not allowed, form expired, fault, too many attempts."""

from __future__ import annotations

import logging
import re

import pytest
from playwright.sync_api import expect

from app.extensions import limiter
from tests.browser.conftest import log_in
from tests.browser.seed import MEMBER_PASSWORD, error_app
from tests.conftest import csrf_from

SERVICE = "Consortium Bid Manager"


def expect_error_page(page, status_text: str, heading: str, advice: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.locator("main")).to_contain_text(advice)
    expect(page.locator("main")).to_contain_text(f"Error code {status_text}")
    assert page.title() == f"{heading} – {SERVICE}"


@pytest.fixture(scope="module")
def faults(live_server):
    return error_app(live_server)


def serve(page, path: str, response) -> None:
    """Serve a response rendered by the in-process app at the live server's address (CSS and script real)."""
    page.route(
        re.compile(re.escape(path) + "$"),
        lambda route: route.fulfill(status=response.status_code, body=response.data, headers=dict(response.headers)),
    )


def test_error_pages(page, journey, seed, live_server, faults, caplog):
    response = page.goto("/no-such-page")
    assert response.status == 404
    expect_error_page(page, "404", "Page not found", "Check the address")
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    journey.step("404 not found")

    # A member tries a convenor's page (403) and another organisation's bid (404, never a hint that it exists).
    bid_id = seed.open_bid(seed.unique("Error pages bid"))
    other_bid = seed.open_bid(seed.unique("Someone else's bid"))
    address = f"errors-{bid_id}@errors.example.org"
    seed.member(bid_id, f"Error Pages Homes {bid_id}", address)
    log_in(page, address, MEMBER_PASSWORD)
    response = page.goto("/bids/new")
    assert response.status == 403
    expect_error_page(page, "403", "You do not have access to this page", "ask the convenor of the bid")
    expect(page.get_by_role("link", name="Go to your bids")).to_be_visible()
    journey.step("403 not allowed")
    assert page.goto(f"/bids/{other_bid}").status == 404
    expect_error_page(page, "404", "Page not found", "Check the address")
    journey.step("404 another organisation's bid")

    # The session ends while a form is open: the form is refused with a page that says what to do.
    page.goto(f"/bids/{bid_id}/pledge")
    # A request the page makes after loading (such as its icon) can answer with the session cookie: let those finish,
    # or one arriving after the clear sets the cookie again.
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()
    assert page.context.cookies() == []
    page.get_by_label("Amount of match funding").fill("£250,000")
    page.get_by_role("button", name="Make the pledge").click()
    expect_error_page(page, "400", "This form has expired", "reload the page and submit it again")
    expect(page.get_by_role("link", name="Go back to the page you were on")).to_have_attribute(
        "href", f"{live_server.url}/bids/{bid_id}/pledge"
    )
    journey.step("form expired")

    # A fault on the server (500): the real handler renders the page.
    with caplog.at_level(logging.CRITICAL, logger="app.web.errors"):
        fault = faults.test_client().get("/fault-for-the-error-page-test")
    assert fault.status_code == 500
    serve(page, "/fault", fault)
    assert page.goto("/fault").status == 500
    expect_error_page(page, "500", "Sorry, something went wrong on our side", "Your last change was not saved")
    journey.step("500 fault")

    # Too many login attempts (429) from the real rate limit, set low in the in-process copy.
    with faults.app_context():
        limiter.reset()
    client = faults.test_client()
    token = csrf_from(client.get("/login").text)
    statuses = [
        client.post("/login", data={"csrf_token": token, "email": address, "password": "wrong-password"}).status_code
        for _ in range(4)
    ]
    assert statuses == [422, 422, 422, 429]
    serve(page, "/too-many", client.post("/login", data={"csrf_token": token, "email": address, "password": "x"}))
    assert page.goto("/too-many").status == 429
    expect_error_page(page, "429", "Too many attempts", "Wait a minute, then try again.")
    expect(page.locator("main")).to_contain_text("the service pauses after several tries in a row")
    journey.step("429 too many attempts")

    # An invitation link that has been tampered with.
    assert page.goto("/invitations/not-a-real-token").status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("This invitation link cannot be used")
    expect(page.locator("main")).to_contain_text("ask the convenor to send it again")
    journey.step("invitation link invalid")
