"""After the bid, in the browser: the convenor records the outcome, a member records a grant (after a refused
try) and imports another, and the delivery dashboard with its 360Giving export (axe, phone layout)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.seed import CONVENOR_EMAIL, CONVENOR_PASSWORD, MEMBER_PASSWORD


def test_outcome_grants_and_delivery(page, journey, seed, viewport):
    title = seed.unique(f"Delivery bid ({viewport})")
    bid_id = seed.open_bid(title)
    member_email = f"grants-{viewport}-{bid_id}@delivery.example.org"
    member = seed.member(bid_id, f"Grant Homes {viewport} {bid_id}", member_email)
    seed.pledge(member, bid_id, 25_000_000)
    seed.submit_with_pack(bid_id)

    log_in(page, CONVENOR_EMAIL, CONVENOR_PASSWORD)
    page.goto(f"/bids/{bid_id}")
    page.get_by_role("link", name="Record the outcome").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record the outcome")
    journey.step("outcome form")
    page.get_by_label("Won: the funder awarded the bid").check()
    page.get_by_label("Award date").fill("02/11/2020")
    page.get_by_role("button", name="Record the outcome").click()
    expect(page.locator(".error-summary")).to_be_focused()
    journey.step("outcome form with errors")
    page.get_by_label("Amount awarded").fill("£5,000,000")
    page.get_by_label("Award date").fill("2026-12-01")
    page.get_by_label("Spend-by date").fill("2027-12-31")
    page.get_by_role("button", name="Record the outcome").click()
    expect(page.get_by_role("heading", name="Outcome: Won")).to_be_visible()
    journey.step("bid won")
    page.get_by_role("button", name="Log out").click()

    log_in(page, member_email, MEMBER_PASSWORD)
    page.goto(f"/bids/{bid_id}/grants")
    page.get_by_role("link", name="Record a grant").click()
    page.get_by_label("Recipient organisation").fill("Hulme Youth Club")
    page.get_by_label("Amount granted").fill("5,000.123")
    page.get_by_label("Award date").fill("2027-01-10")
    page.get_by_label("Title of the grant").fill("Summer sessions")
    page.get_by_label("Purpose").fill("Ring jo@example.org to book.")
    page.get_by_role("button", name="Record the grant").click()
    expect(page.locator(".error-summary")).to_be_focused()
    journey.step("grant form with errors")
    page.get_by_label("Amount granted").fill("£5,000")
    page.get_by_label("Purpose").fill("Six weeks of sport for young people.")
    page.get_by_label("Company number").fill("01234567")
    page.get_by_label("Local authority").fill("Manchester")
    page.get_by_label("Its ONS GSS code").fill("E08000003")
    page.get_by_label("Region").select_option("NW")
    page.get_by_role("button", name="Record the grant").click()
    expect(page.get_by_role("table")).to_contain_text("Hulme Youth Club")
    journey.step("grants list")
    page.get_by_role("link", name="Import grants").click()
    page.get_by_label("Or paste the rows").fill(
        "Recipient\tAmount\tAward date\tTitle\tDescription\nMoss Side Choir\t750\t02/11/2020\tSongs\tA year."
    )
    page.get_by_role("button", name="Import the grants").click()
    expect(page.get_by_role("table", name="Rows that cannot be imported")).to_contain_text("award date")
    journey.step("import with a bad row")
    page.goto(f"/bids/{bid_id}/delivery")
    expect(page.get_by_role("heading", level=1)).to_have_text("Delivery")
    journey.step("member's delivery dashboard")
    page.get_by_role("button", name="Log out").click()

    log_in(page, CONVENOR_EMAIL, CONVENOR_PASSWORD)
    page.goto(f"/bids/{bid_id}/delivery")
    expect(page.get_by_role("heading", level=1)).to_have_text("Delivery")
    journey.step("convenor's delivery dashboard")
    page.get_by_role("link", name="360Giving data").click()
    expect(page.get_by_text("The grant passes the checks.")).to_be_visible()
    journey.step("360Giving data")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    assert download.value.suggested_filename.endswith(".csv")
