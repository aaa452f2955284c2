"""The convenor's members table past one page, in a real browser at desktop and phone size: 50 rows a page,
the pager, sorting (column headings on a desktop, the form on a phone, where the headings are hidden) and
searching, with no axe violation of any impact; and a pledge arriving live on the page shown."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.seed import CONVENOR_EMAIL, CONVENOR_PASSWORD
from tests.browser.support import describe

MEMBERS = 55


def strict(journey, label: str) -> None:
    journey.step(label)
    found = list(journey.violations.values())[-1]["violations"]
    assert not found, f"axe found problems on {label}:\n{describe(found)}"


def test_a_long_members_table_pages_sorts_searches_and_stays_live(page, journey, seed, viewport):
    title = seed.unique(f"Fifty-five members ({viewport})")
    slug = title.rsplit(" ", 1)[-1]
    bid_id = seed.open_bid(title)
    for i in range(MEMBERS):
        user = seed.member(bid_id, f"Table Member {slug}-{i:02d}", f"t{i:02d}-{slug}@table.example.org")
        seed.pledge(user, bid_id, (i + 1) * 100_000)
    log_in(page, CONVENOR_EMAIL, CONVENOR_PASSWORD)
    page.goto(f"/bids/{bid_id}")
    rows = page.locator(".members-table tbody tr")
    expect(rows).to_have_count(50)
    expect(page.locator(".members-summary")).to_have_text(
        "Showing 1 to 50 of 55 members, sorted by amount, largest first."
    )
    expect(rows.first.get_by_role("rowheader")).to_contain_text(f"{slug}-54")
    expect(page.locator(".members-table tfoot")).to_contain_text("Total, all 55 members")
    strict(journey, "members table, page 1")

    page.get_by_role("link", name="Next page").click()
    expect(page.locator(".members-summary")).to_contain_text("Showing 51 to 55 of 55 members")
    expect(rows).to_have_count(5)
    strict(journey, "members table, page 2")

    if viewport == "phone":  # the column headings are hidden on a phone: the form sorts
        page.get_by_label("Sort by").select_option(label="Organisation name")
        page.get_by_role("button", name="Show these members").click()
    else:
        page.locator(".members-table thead").get_by_role("link", name="Organisation").click()
    expect(page.locator(".members-summary")).to_contain_text("sorted by organisation name, A to Z")
    expect(rows.first.get_by_role("rowheader")).to_contain_text(f"{slug}-00")

    page.get_by_label("Search the members").fill(f"{slug}-1")
    page.get_by_role("button", name="Show these members").click()
    expect(rows).to_have_count(10)  # -10 to -19
    expect(page.locator(".members-summary")).to_contain_text("of 10 members matching")
    expect(page.locator(".members-table tfoot")).to_contain_text("Total, all 55 members")
    strict(journey, "members table, searched")

    # Live: the first page by amount; a new largest pledge arrives at the top without a reload.
    page.goto(f"/bids/{bid_id}")
    expect(page.locator("[data-live-indicator-text]")).to_have_text("Live")
    newcomer = seed.member(bid_id, f"Table Member {slug}-new", f"tnew-{slug}@table.example.org")
    seed.pledge(newcomer, bid_id, 90_000_000)
    expect(rows.first.get_by_role("rowheader")).to_contain_text(f"{slug}-new", timeout=15_000)
    expect(rows).to_have_count(50)
    expect(page.locator(".members-summary")).to_contain_text("of 56 members")
