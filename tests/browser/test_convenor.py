"""The convenor's journey in a real browser: open a bid, invite, watch it live, extend, close, pack, funder link."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import expect

from app.infra import clock
from tests.browser.conftest import log_in
from tests.browser.seed import CONVENOR_EMAIL, CONVENOR_PASSWORD
from tests.browser.support import link_in, text_of, wait_for_email

UK_DATE = re.compile(r"(\d{1,2}(:\d{2})?(am|pm)|midday|midnight) on \w+day \d{1,2} \w+ \d{4}")


def test_convenor_opens_invites_watches_extends_and_closes(page, journey, seed, live_server, viewport):
    title = seed.unique(f"Warm Spaces consortium ({viewport})")
    log_in(page, CONVENOR_EMAIL, CONVENOR_PASSWORD)
    journey.step("your bids")

    page.get_by_role("link", name="Create a bid").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a bid")
    journey.step("create a bid")
    deadline = clock.to_london(clock.now() + timedelta(days=10))
    page.get_by_label("Title").fill(title)
    page.get_by_label("Funder", exact=True).fill("Department for Communities")
    page.get_by_label("Scheme name").fill("Community Match Fund 2026")
    page.get_by_label("The case for the bid").fill("Landlords across the North West commit match funding.")
    page.get_by_label("Target match funding").fill("£6,000,000")
    page.get_by_label("Target homes covered").fill("1000000")
    page.get_by_label("Deadline date").fill(deadline.strftime("%Y-%m-%d"))
    page.get_by_label("Deadline time (UK time)").fill("17:00")
    page.get_by_label("Terms members must accept").fill("Pledges are payable within 12 months of the award.")
    page.get_by_role("button", name="Create and open for pledges").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text("Bid opened: invite organisations next.")).to_be_visible()
    expect(page.get_by_text("No pledges yet.")).to_be_visible()
    journey.step("new bid dashboard")
    bid_id = seed.bid_id(title)

    page.get_by_role("link", name="Invitations").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitations")
    expect(page.get_by_text("No one has been invited yet.")).to_be_visible()
    journey.step("invitations empty")
    slug = f"{viewport}{bid_id}"
    invitees = [
        (f"Riverside Homes {slug}", f"pledges@riverside-{slug}.example.org"),
        (f"Northmoor Housing {slug}", f"bids@northmoor-{slug}.example.org"),
        (f"Peak & Dale Homes {slug}", f"finance@peakdale-{slug}.example.org"),
    ]
    # Pasted from a spreadsheet: tab-separated columns, one organisation a line.
    page.get_by_label("Paste a list").fill("\n".join(f"{name}\t{address}" for name, address in invitees))
    page.get_by_role("button", name="Send invitations").click()
    expect(page.get_by_role("heading", name="Your list: 3 invited")).to_be_visible()
    for name, _address in invitees:
        expect(page.get_by_role("cell", name=name, exact=True)).to_be_visible()
    journey.step("three invited")
    for name, address in invitees:
        message = wait_for_email(live_server.outbox, address, subject=title)
        assert name in text_of(message)
        assert link_in(message, live_server.url).startswith(f"{live_server.url}/invitations/")

    # Watch the dashboard: a member pledges, and the convenor sees it.
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    member = seed.member(bid_id, f"Quayside Homes {slug}", f"pledges@quayside-{slug}.example.org")
    seed.pledge(member, bid_id, 25_000_000, homes=12_400)
    # No reload: the live stream brings the pledge into the open page.
    expect(page.get_by_role("rowheader", name=f"Quayside Homes {slug}", exact=True)).to_be_visible(timeout=15_000)
    expect(page.locator("[data-live-fragment=figures]")).to_contain_text("£250,000", timeout=15_000)
    journey.step("dashboard with a pledge")

    page.get_by_role("link", name="Extend the deadline").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Extend the deadline")
    journey.step("extend the deadline")
    later = deadline + timedelta(days=7)
    page.get_by_label("New deadline date").fill(later.strftime("%Y-%m-%d"))
    page.get_by_label("New deadline time (UK time)").fill("17:00")
    page.get_by_role("button", name="Extend the deadline").click()
    flash = page.get_by_role("status").filter(has_text="The deadline is now")
    expect(flash).to_contain_text(f"5pm on {later.strftime('%A')} {later.day} {later.strftime('%B %Y')}")
    assert UK_DATE.search(flash.inner_text())
    journey.step("deadline extended")

    page.get_by_role("link", name="Close now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Close the bid now?")
    expect(page.get_by_role("button", name="No, keep it open")).to_be_focused()  # the safe choice is the default
    expect(page.locator("main")).to_contain_text("will be told the bid is closed")
    journey.step("close: asked first")
    page.get_by_role("button", name="Yes, close the bid now").click()
    expect(page.get_by_text("The bid is closed: no more pledges will be taken.")).to_be_visible()
    journey.step("bid closed")

    # The bid pack: generate it, download the PDF, mark the bid submitted and send the funder a link.
    page.get_by_role("link", name="Bid pack").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bid pack")
    expect(page.get_by_text("No bid pack yet.")).to_be_visible()
    journey.step("bid pack empty")
    page.get_by_role("button", name="Generate version 1").click()
    expect(page.get_by_role("status").filter(has_text="Version 1 of the bid pack is ready.")).to_be_visible()
    version = page.get_by_role("region", name="Version 1")
    expect(version).to_contain_text("£250,000")
    expect(version).to_contain_text("12,400")
    journey.step("bid pack generated")
    with page.expect_download() as download_info:
        version.get_by_role("link", name="Bid pack (PDF)").click()
    download = download_info.value
    assert download.suggested_filename.endswith("-v1-bid-pack.pdf"), download.suggested_filename
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"%PDF-") and len(content) > 2_000, len(content)

    page.get_by_role("link", name="Mark as submitted").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mark the bid as submitted?")
    journey.step("submit: asked first")
    page.get_by_role("button", name="Yes, mark as submitted").click()
    expect(page.get_by_text("The bid is marked as submitted. You can now give the funder access.")).to_be_visible()
    journey.step("bid submitted")
    funder_address = f"grants-{slug}@communities.example.gov.uk"
    page.get_by_label("Name of the person at the funder").fill("Priya Grants")
    page.get_by_label("Their email address").fill(funder_address)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_text(f"Link sent to Priya Grants at {funder_address}.")).to_be_visible()
    sent = page.get_by_role("region", name="Link for Priya Grants")
    expect(sent).to_contain_text("Active")
    expect(sent).to_contain_text("Not opened yet.")
    journey.step("funder link sent")
    message = wait_for_email(live_server.outbox, funder_address, subject=title)
    assert "£250,000" in text_of(message)
    assert link_in(message, live_server.url).startswith(f"{live_server.url}/f/")
