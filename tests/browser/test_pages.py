"""The pages around the journeys, checked the same way (axe, one h1, a title, the phone layout): the account
page and its errors, editing a bid, a pasted list with a bad row, the audit log, a pledge's history, and
declining an invitation."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.seed import CONVENOR_EMAIL, CONVENOR_PASSWORD, MEMBER_PASSWORD
from tests.browser.support import link_in, wait_for_email


def test_pages_around_the_journeys(page, journey, seed, live_server, viewport):
    title = seed.unique(f"Pages bid ({viewport})")
    bid_id = seed.open_bid(title)
    member_email = f"history-{viewport}-{bid_id}@pages.example.org"
    member = seed.member(bid_id, f"History Homes {viewport} {bid_id}", member_email)
    seed.pledge(member, bid_id, 25_000_000)
    seed.pledge(member, bid_id, 30_000_000)

    log_in(page, CONVENOR_EMAIL, CONVENOR_PASSWORD)
    page.goto("/account")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    journey.step("account")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.get_by_label("Current password")).to_have_attribute("aria-invalid", "true")
    journey.step("account with errors")

    page.goto(f"/bids/{bid_id}/edit")
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit bid")
    expect(page.get_by_label("Deadline date")).to_have_attribute("readonly", "")
    journey.step("edit an open bid")

    page.goto(f"/bids/{bid_id}/invitations")
    page.get_by_label("Paste a list").fill(
        f"Good Homes {viewport} {bid_id}, good-{viewport}-{bid_id}@pages.example.org\nNo Address Homes, not an email"
    )
    page.get_by_role("button", name="Send invitations").click()
    expect(page.get_by_role("heading", name="Your list: 1 invited, 1 refused")).to_be_visible()
    expect(page.get_by_role("table", name="Rows refused, with the reason")).to_contain_text("No Address Homes")
    journey.step("pasted list with a bad row")

    page.goto(f"/bids/{bid_id}/audit")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    journey.step("audit log")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have logged out.")).to_be_visible()
    journey.step("logged out")

    log_in(page, member_email, MEMBER_PASSWORD)
    journey.step("member's bids")
    page.get_by_role("link", name="Join requests").click()  # the organisation's first person manages it
    expect(page.get_by_role("heading", level=1)).to_contain_text("Requests to join History Homes")
    journey.step("join requests")
    page.goto(f"/bids/{bid_id}")
    page.get_by_role("link", name="See its history").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pledge history")
    expect(page.locator("main")).to_contain_text("£300,000")
    journey.step("pledge history")
    page.get_by_role("button", name="Log out").click()

    # Declining an invitation, and the link afterwards.
    address = f"decline-{viewport}-{bid_id}@pages.example.org"
    seed.invite(bid_id, f"Declining Homes {viewport} {bid_id}", address)
    link = link_in(wait_for_email(live_server.outbox, address, subject=title), live_server.url)
    page.goto(link)
    page.get_by_label("Reason (optional)").fill("Our board has committed this year's budget.")
    page.get_by_role("button", name="Decline the invitation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You have declined the invitation")
    journey.step("invitation declined")
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This invitation link cannot be used")
    expect(page.locator("main")).to_contain_text("This invitation was declined.")
    journey.step("declined link used again")
