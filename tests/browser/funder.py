"""The funder's journey, ready for when the bid pack and funder links are merged (the packs branch).

Not collected by pytest (no ``test_`` prefix). At merge, call it from the convenor journey once the convenor has
created a funder link, in a fresh context so that the funder is not logged in:

    funder = context.browser.new_context(base_url=live_server.url, viewport=VIEWPORTS[viewport])
    funder_page = funder.new_page()
    funder_journey(funder_page, Journey(funder_page, "funder", viewport), link, expected={...})

The selectors below follow the wording the issue asks for; adjust them to the merged templates if they differ.
"""

from __future__ import annotations

from playwright.sync_api import expect


def funder_journey(page, journey, link: str, *, expected: dict[str, str], expired_link: str | None = None) -> None:
    """Open the link, see the headline figures, download the PDF; then a clear page for a dead link.

    ``expected`` maps a headline label ("Pledged", "Homes covered", "Members") to the text the funder must see,
    for example ``{"Pledged": "£6,250,000"}``. ``expired_link`` is an expired or revoked link, if the caller made
    one (for example by revoking a second link as the convenor).
    """
    response = page.goto(link)
    assert response.status == 200, f"the funder link answered {response.status}"
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    for label, value in expected.items():
        expect(page.locator("main")).to_contain_text(label)
        expect(page.locator("main")).to_contain_text(value)
    # Nothing else: no navigation to the convenor's or members' pages.
    expect(page.get_by_role("link", name="Your bids")).to_have_count(0)
    journey.step("funder link opened")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="PDF").first.click()
    download = download_info.value
    path = download.path()
    with open(path, "rb") as handle:
        assert handle.read(5) == b"%PDF-", "the download is not a PDF"
    assert download.suggested_filename.endswith(".pdf")

    if expired_link:
        response = page.goto(expired_link)
        assert response.status in (403, 404, 410), f"a dead funder link answered {response.status}"
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        # The page must say what happened and what to do next (ask the convenor for a new link).
        expect(page.locator("main")).to_contain_text("convenor")
        journey.step("funder link expired")
