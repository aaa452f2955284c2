"""The first hour's rough edges, in a real browser at desktop and phone size, on the demo's 39 members:
axe-core finds nothing at all (any impact) on the pages of the three journeys; actions that cannot be undone
ask first, by keyboard, with the safe choice focused; a cancelled bid is restored; the audit log reads as
sentences and filters; the members table is cards on a phone; the activity feed is a keyboard stop.

The funder's journey on the demo bid closes and submits it, so it comes last: the tests before it need it open."""

from __future__ import annotations

from playwright.sync_api import expect

from app.demo import CONVENOR_EMAIL as DEMO_CONVENOR
from app.demo import DEMO_PASSWORD
from app.demo import MEMBER_EMAIL as DEMO_MEMBER
from tests.browser.conftest import log_in
from tests.browser.funder import dead_link, funder_journey
from tests.browser.seed import CONVENOR_EMAIL, CONVENOR_PASSWORD
from tests.browser.support import describe, link_in, wait_for_email


def strict(journey, label: str, page=None) -> None:
    """A journey step (screenshot, the usual checks), then: no axe violation of any impact."""
    journey.step(label, page)
    found = list(journey.violations.values())[-1]["violations"]
    assert not found, f"axe found problems on {label}:\n{describe(found)}"


def test_the_demo_bid_is_axe_clean_for_the_convenor(page, journey, seed, viewport):
    bid_id = seed.demo()
    log_in(page, DEMO_CONVENOR, DEMO_PASSWORD)
    strict(journey, "demo bids")
    page.goto(f"/bids/{bid_id}")
    expect(page.locator("[data-live-indicator-text]")).to_have_text("Live")
    expect(page.locator("main")).not_to_contain_text("weeks left)")
    strict(journey, "demo dashboard")
    # The activity feed scrolls inside its box: it is a named keyboard stop.
    feed = page.get_by_role("region", name="Latest activity, newest first")
    expect(feed).to_have_attribute("tabindex", "0")
    if viewport == "phone":  # the members table is one card per member: nothing is off-screen
        card = page.locator(".members-table tbody tr").first
        box = card.bounding_box()
        assert box is not None and box["width"] <= 390, box
        expect(card.locator('td[data-label="Letter"]')).to_be_visible()
    for path, heading in (
        (f"/bids/{bid_id}/close", "Close the bid now?"),
        (f"/bids/{bid_id}/cancel", "Cancel the bid?"),
    ):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        strict(journey, f"demo {heading}")
    expect(page.locator("main")).to_contain_text("The pledges of the 39 member organisations stop counting")
    page.goto(f"/bids/{bid_id}/audit")
    expect(page.locator(".audit-sentence").first).to_contain_text("pledge")
    strict(journey, "demo audit log")
    page.get_by_label("Kind of event").select_option(label="Pledge created")
    page.get_by_role("button", name="Show these events").click()
    expect(page.locator("main")).to_contain_text("the filter")
    strict(journey, "demo audit log filtered")
    for path in (f"/bids/{bid_id}/invitations", f"/bids/{bid_id}/packs", f"/bids/{bid_id}/reminders"):
        page.goto(path)
        strict(journey, f"demo {path.rsplit('/', 1)[-1]}")


def test_the_demo_bid_is_axe_clean_for_a_member(page, journey, seed):
    bid_id = seed.demo()
    log_in(page, DEMO_MEMBER, DEMO_PASSWORD)
    page.goto(f"/bids/{bid_id}")
    strict(journey, "demo member page")
    page.goto(f"/bids/{bid_id}/pledge")
    strict(journey, "demo pledge form")
    page.get_by_role("button", name="Withdraw the pledge").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Withdraw your organisation's pledge?")
    expect(page.get_by_role("button", name="No, keep the pledge")).to_be_focused()
    strict(journey, "demo withdraw: asked first")
    page.keyboard.press("Enter")  # the safe choice is the default: nothing is withdrawn
    expect(page.get_by_role("heading", level=1)).to_contain_text("Change your pledge")


def test_cancel_asks_first_and_a_cancelled_bid_is_restored(page, journey, seed, viewport):
    title = seed.unique(f"Cancel and restore ({viewport})")
    bid_id = seed.open_bid(title)
    log_in(page, CONVENOR_EMAIL, CONVENOR_PASSWORD)
    page.goto(f"/bids/{bid_id}")
    page.get_by_role("link", name="Cancel the bid").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel the bid?")
    expect(page.get_by_role("button", name="No, keep the bid open")).to_be_focused()
    strict(journey, "cancel: asked first")
    page.keyboard.press("Enter")  # by keyboard, the default is the safe choice
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    page.get_by_role("link", name="Cancel the bid").click()
    page.get_by_role("button", name="Yes, cancel the bid").click()
    expect(page.get_by_text("The bid is cancelled.")).to_be_visible()
    nav = page.get_by_role("navigation", name="Bid actions")
    expect(nav.get_by_role("link", name="Bid pack")).to_have_count(0)
    expect(nav.get_by_role("link", name="Reminders")).to_have_count(0)
    expect(page.locator("[data-live-indicator]")).to_have_count(0)  # a cancelled bid is not live
    strict(journey, "cancelled")
    nav.get_by_role("button", name="Restore as a draft").click()
    expect(page.get_by_text("The bid is a draft again")).to_be_visible()
    strict(journey, "restored as a draft")
    page.goto(f"/bids/{bid_id}/audit")
    expect(page.locator("main")).to_contain_text("restored the cancelled bid to a draft.")
    expect(page.locator("main")).to_contain_text("cancelled the bid.")
    strict(journey, "audit log after restoring")


def test_the_demo_bid_is_axe_clean_for_the_funder(page, journey, seed, live_server, viewport):
    """Last in this file: it closes the demo bid and marks it submitted (see the module's docstring)."""
    address = f"grants-demo-{viewport}@funder.example.gov.uk"
    link_id = seed.demo_funder_link("Alex Funder", address)
    link = link_in(wait_for_email(live_server.outbox, address, subject="Community Match Fund"), live_server.url)
    funder_journey(
        page,
        journey,
        link,
        title="Community Match Fund consortium bid",
        expected={"Match funding pledged": "£6,250,000", "Homes covered": "1,104,000", "Member organisations": "39"},
    )
    strict(journey, "demo funder page")
    seed.expire_link(link_id)
    dead_link(page, journey, link, reason="expired")
    strict(journey, "demo funder link expired")
    dead_link(page, journey, link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb"), reason="tampered")
    strict(journey, "demo funder link not valid")
