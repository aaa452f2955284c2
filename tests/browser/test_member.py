"""The member's journey in a real browser: from the invitation email to a pledge, a conflict, the deadline, and
the letter of commitment."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from playwright.sync_api import expect

from app.infra import clock
from tests.browser.seed import MEMBER_PASSWORD
from tests.browser.support import link_in, text_of, wait_for_email
from tests.pdfs import make_pdf

#: A long name without spaces, as scanned letters often have: it must wrap on a phone, not widen the page.
FILENAME = "Harbour_Light_Homes_letter_of_commitment_signed_by_the_finance_director.pdf"
UK_DATE = re.compile(r"(\d{1,2}(:\d{2})?(am|pm)|midday|midnight) on \w+day \d{1,2} \w+ \d{4}")


def fill_pledge(page, amount: str, *, homes: str | None = None, first: bool = False) -> None:
    """Fill the pledge form as a person would; on the first pledge every field, later only what changes."""
    page.get_by_label("Amount of match funding").fill(amount)
    if homes is not None:
        page.get_by_label("Homes covered").fill(homes)
    if first:
        page.get_by_label("North West").check()
        page.get_by_label("How the money will be used").fill("Small grants for tenant-led groups and warm spaces.")
        page.get_by_label("Confirmed: approved by our board").check()
    page.get_by_label("I accept the terms of the bid on behalf of my organisation").check()


def test_member_journey_from_invitation_to_deadline(page, context, journey, seed, live_server, viewport):
    title = seed.unique(f"Community Match Fund bid ({viewport})")
    bid_id = seed.open_bid(title)
    organisation = f"Harbour Light Homes {viewport} {bid_id}"
    address = f"pledges@harbour-{viewport}-{bid_id}.example.org"
    seed.invite(bid_id, organisation, address)

    # The invitation email, as written to the outbox folder, carries the link.
    message = wait_for_email(live_server.outbox, address, subject=title)
    assert UK_DATE.search(text_of(message)), text_of(message)
    page.goto(link_in(message, live_server.url))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Join the consortium bid: {title}")
    journey.step("invitation")

    page.get_by_label("Your name").fill("Jo Member")
    page.get_by_label("Choose a password").fill(MEMBER_PASSWORD)
    expect(page.get_by_label("Organisation name")).to_have_value(organisation)
    page.get_by_label("Homes owned (optional)").fill("14000")
    page.get_by_label("North West").check()
    page.get_by_role("button", name="Accept the invitation").click()
    expect(page.get_by_text("Welcome. Your account is ready: you can pledge now.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    journey.step("joined the bid")

    # Pledge with a formatted amount.
    page.get_by_role("link", name="Make a pledge").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a pledge")
    expect(page.get_by_text("In pounds, for example £250,000.")).to_be_visible()
    journey.step("pledge form")
    fill_pledge(page, "£250,000", homes="12400", first=True)
    page.get_by_role("button", name="Make the pledge").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your pledge is saved")
    expect(page.get_by_text("£250,000 covering 12,400 homes")).to_be_visible()
    journey.step("receipt")
    assert "£250,000" in text_of(wait_for_email(live_server.outbox, address, subject="Your pledge to"))

    # Amend it.
    page.get_by_role("link", name="Change the pledge").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change your pledge")
    expect(page.get_by_label("Amount of match funding")).to_have_value(re.compile(r"^250,?000(\.00)?$"))
    fill_pledge(page, "£300,000")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("£300,000 covering 12,400 homes")).to_be_visible()
    journey.step("amended")

    # A colleague in another tab saves first; this tab's save is refused with the current values.
    page.get_by_role("link", name="Change the pledge").click()
    other = context.new_page()
    journey.watch(other)
    other.goto(f"/bids/{bid_id}/pledge")
    fill_pledge(other, "£310,000", homes="13000")
    other.get_by_role("button", name="Save changes").click()
    expect(other.get_by_text("£310,000 covering 13,000 homes")).to_be_visible()
    journey.step("the other tab saved first", other)
    other.close()
    fill_pledge(page, "£320,000")
    page.get_by_role("button", name="Save changes").click()
    conflict = page.locator(".error-summary")
    expect(conflict).to_be_focused()
    expect(conflict).to_have_attribute("role", "alert")
    # The same person in another tab: said so; the saved values are in the fields, the typed ones beside them.
    expect(conflict).to_contain_text("You changed this pledge in another tab")
    expect(conflict).to_contain_text("£310,000")
    expect(conflict).to_contain_text("13,000")
    expect(conflict.locator(".typed-values")).to_contain_text("£320,000")
    expect(page.get_by_label("Amount of match funding")).to_have_value("310,000")
    journey.step("conflict")

    # The consortium's progress.
    page.get_by_role("link", name=f"← {title}").click()
    expect(page.get_by_role("heading", name="The consortium so far")).to_be_visible()
    expect(page.locator("main")).to_contain_text("£310,000 pledged of a £6,000,000 target")
    journey.step("consortium progress")

    # The form is open when the deadline passes: the save is refused, and the page says why.
    page.get_by_role("link", name="Change your pledge").click()
    seed.move_deadline(bid_id, clock.now() - timedelta(seconds=1))
    fill_pledge(page, "£330,000")
    page.get_by_role("button", name="Save changes").click()
    refused = page.locator(".error-summary")
    expect(refused).to_be_focused()
    expect(refused).to_contain_text("Your pledge was not saved")
    expect(refused).to_contain_text("The deadline passed at")
    expect(refused).to_contain_text("Contact the convenor")
    expect(refused).to_contain_text("Your organisation's pledge stays as it was: £310,000 covering 13,000 homes.")
    assert UK_DATE.search(refused.inner_text()), refused.inner_text()
    journey.step("refused after the deadline")
    page.goto(f"/bids/{bid_id}")
    expect(page.get_by_text("This bid is no longer taking pledges.")).to_be_visible()
    expect(page.locator("main")).to_contain_text("£310,000")
    journey.step("bid after the deadline")

    # The letter of commitment: a one-page PDF, which becomes the organisation's current letter.
    page.get_by_role("link", name="Letter of commitment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Letter of commitment")
    expect(page.get_by_text("No letter uploaded yet.")).to_be_visible()
    journey.step("letter form")
    letter = make_pdf(f"{organisation} commits £310,000 of match funding.")
    page.get_by_label("Signed letter of commitment (PDF)").set_input_files(
        files=[{"name": FILENAME, "mimeType": "application/pdf", "buffer": letter}]
    )
    page.get_by_role("button", name="Upload the letter").click()
    expect(page.get_by_role("status")).to_contain_text(f"Letter uploaded: {FILENAME}.")
    current = page.get_by_role("region", name="Current letter")
    expect(current).to_contain_text(FILENAME)
    expect(current).to_contain_text(f"SHA-256 {hashlib.sha256(letter).hexdigest()[:16]}")
    expect(page.get_by_role("button", name="Replace the letter")).to_be_visible()
    journey.step("letter uploaded")
    page.get_by_role("link", name=f"← {title}").click()
    expect(page.locator("main")).to_contain_text("Letter of commitment: uploaded")
