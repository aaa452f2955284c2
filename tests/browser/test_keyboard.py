"""The member's pledge with the keyboard only: Tab, Shift+Tab, Space, Enter and typing; focus always visible.

Every Tab stop is checked for a visible focus indicator (tests/browser/support.py::tab_to). A form that fails
puts an error summary first, focuses it so that it is read out, links each message to its field, and each
field names its message with aria-describedby.
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.seed import MEMBER_PASSWORD
from tests.browser.support import focused, tab_to

ERRORS_LINKED_JS = """
() => [...document.querySelectorAll('.error-summary a[href^="#"]')].map(link => {
  const target = document.getElementById(link.getAttribute('href').slice(1));
  const described = target ? (target.getAttribute('aria-describedby') || '').split(/\\s+/) : [];
  const messages = described.map(id => document.getElementById(id)).filter(Boolean)
    .filter(el => el.classList.contains('error-message')).map(el => el.textContent.replace('Error:', '').trim());
  return {link: link.textContent.trim(), target: target && target.id, messages,
          invalid: target && (target.getAttribute('aria-invalid') === 'true' || target.tagName === 'FIELDSET')};
})
"""


def test_member_pledges_with_the_keyboard_only(page, journey, seed, viewport):
    title = seed.unique(f"Keyboard bid ({viewport})")
    bid_id = seed.open_bid(title)
    address = f"keys-{viewport}-{bid_id}@keyboard.example.org"
    seed.member(bid_id, f"Keyboard Homes {viewport} {bid_id}", address)

    page.goto("/login")
    skip = tab_to(page, ".skip-link", limit=1)
    assert skip["text"] == "Skip to main content"
    box = page.locator(".skip-link").bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, "the skip link must come into view when focused"
    tab_to(page, "#email")
    page.keyboard.type(address)
    tab_to(page, "#password", limit=1)
    page.keyboard.type(MEMBER_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your bids")
    journey.step("logged in with the keyboard")

    tab_to(page, f'a[href="/bids/{bid_id}"]')
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    tab_to(page, f'a[href="/bids/{bid_id}/pledge"]')
    journey.step("make a pledge link focused", check=False)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a pledge")

    # A first pledge starts with the profile's region (North West) ticked. A first try with mistakes: three
    # decimal places, no homes, no answer to "confirmed?", terms not accepted. Every problem is reported at once.
    expect(page.locator("#regions-1")).to_be_checked()
    tab_to(page, "#amount")
    page.keyboard.type("£250,000.999")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    journey.step("errors announced")
    links = page.evaluate(ERRORS_LINKED_JS)
    assert {item["target"] for item in links} == {"amount", "homes", "status", "accept_terms"}, links
    for item in links:
        assert item["link"] in item["messages"], f"the message is not linked to its field: {item}"
        assert item["invalid"], f"the field is not marked invalid: {item}"

    # Follow the first message to its field and correct everything, still with the keyboard.
    tab_to(page, ".error-summary a", limit=3)
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "amount"
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("£250,000")
    tab_to(page, "#homes", limit=1)
    page.keyboard.type("12400")
    tab_to(page, "#statement")  # past the regions: North West is ticked already
    page.keyboard.type("Grants for tenant-led groups, chosen with our tenants' panel.")
    tab_to(page, "input[name=status]")
    page.keyboard.press("ArrowDown")  # from Indicative to Confirmed
    tab_to(page, "#accept_terms")
    page.keyboard.press("Space")
    expect(page.locator("#regions-1")).to_be_checked()
    expect(page.locator("#status-1")).to_be_checked()
    expect(page.locator("#accept_terms")).to_be_checked()
    journey.step("corrected with the keyboard", check=False)
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your pledge is saved")
    expect(page.get_by_text("£250,000 covering 12,400 homes")).to_be_visible()
    journey.step("pledge saved with the keyboard")

    tab_to(page, "a.button")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    journey.step("back to the bid with the keyboard")
