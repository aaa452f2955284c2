"""The funder's journey in a real browser: the link in the email, the figures, the PDF; then the link ends."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.funder import dead_link, funder_journey
from tests.browser.seed import CONVENOR_EMAIL, CONVENOR_PASSWORD
from tests.browser.support import link_in, wait_for_email


def test_funder_opens_the_link_then_it_expires_or_is_withdrawn(chromium, page, journey, seed, live_server, viewport):
    title = seed.unique(f"Green Homes consortium ({viewport})")
    bid_id = seed.open_bid(title)
    for number, (amount, homes) in enumerate([(400_000_000, 30_000), (225_000_000, 12_500)], start=1):
        member = seed.member(bid_id, f"Funded Homes {number} {viewport} {bid_id}", f"m{number}-{bid_id}@example.org")
        seed.pledge(member, bid_id, amount, homes=homes)
    seed.submit_with_pack(bid_id)
    address = f"grants-{viewport}-{bid_id}@funder.example.gov.uk"
    first = seed.funder_link(bid_id, "Alex Funder", address)
    link = link_in(wait_for_email(live_server.outbox, address, subject=title), live_server.url)

    funder_journey(
        page,
        journey,
        link,
        title=title,
        expected={"Match funding pledged": "£6,250,000", "Homes covered": "42,500", "Member organisations": "2"},
    )

    # A link whose 30 days have run out.
    seed.expire_link(first)
    dead_link(page, journey, link, reason="expired")

    # A second link, withdrawn by the convenor on the bid pack page (in their own, logged-in browser).
    seed.funder_link(bid_id, "Sam Second", f"second-{address}")
    second = link_in(wait_for_email(live_server.outbox, f"second-{address}", subject=title), live_server.url)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    convenor_context = chromium.new_context(base_url=live_server.url, viewport=page.viewport_size)
    try:
        convenor = convenor_context.new_page()
        journey.watch(convenor)
        log_in(convenor, CONVENOR_EMAIL, CONVENOR_PASSWORD)
        convenor.goto(f"/bids/{bid_id}/packs")
        opened = convenor.get_by_role("region", name="Link for Alex Funder")
        expect(opened).to_contain_text("Expired")
        expect(opened.get_by_role("table")).to_contain_text("bid-pack.pdf")
        journey.step("convenor sees the links", convenor)
        convenor.get_by_role("region", name="Link for Sam Second").get_by_role(
            "link", name="Withdraw this link"
        ).click()
        expect(convenor.get_by_role("heading", level=1)).to_have_text("Withdraw the link for Sam Second?")
        journey.step("withdraw a link: asked first", convenor)
        convenor.get_by_role("button", name="Yes, withdraw the link").click()
        expect(convenor.get_by_text("The link for Sam Second no longer works.")).to_be_visible()
        expect(convenor.get_by_role("region", name="Link for Sam Second")).to_contain_text("Revoked")
        journey.step("convenor withdrew a link", convenor)
    finally:
        convenor_context.close()
    dead_link(page, journey, second, reason="revoked")

    # A link with a character changed is not a link at all.
    dead_link(page, journey, second[:-3] + ("aaa" if not second.endswith("aaa") else "bbb"), reason="tampered")
