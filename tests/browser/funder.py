"""The funder's side of a funder link, shared by the journeys in ``test_funder.py``.

The funder has no account: everything is reached from the link in the email, in a browser that is not logged in.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

#: The headings of the page a link that no longer works shows, by why it stopped working.
DEAD_LINK_HEADINGS = {
    "expired": "This link has expired",
    "revoked": "This link has been withdrawn",
    "tampered": "This link is not valid",
}


def funder_journey(page, journey, link: str, *, title: str, expected: dict[str, str]) -> None:
    """Open the link, see the headline figures, download the PDF.

    ``expected`` maps a headline card's label ("Match funding pledged", "Homes covered", "Member organisations")
    to the figure the funder must see on it, for example ``{"Match funding pledged": "£6,250,000"}``.
    """
    response = page.goto(link)
    assert response.status == 200, f"the funder link answered {response.status}"
    assert response.headers["referrer-policy"] == "no-referrer"
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    for label, value in expected.items():
        card = page.locator(".card").filter(has=page.get_by_text(label, exact=True))
        expect(card.locator(".card-figure")).to_have_text(value)
    # Nothing else: no way into the convenor's or members' pages.
    expect(page.get_by_role("link", name="Your bids")).to_have_count(0)
    journey.step("funder link opened")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Bid pack (PDF)").click()
    download = download_info.value
    assert download.suggested_filename.endswith("-v1-bid-pack.pdf"), download.suggested_filename
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"%PDF-"), "the download is not a PDF"
    assert len(content) > 2_000, f"the PDF is only {len(content)} bytes"


def dead_link(page, journey, link: str, *, reason: str) -> None:
    """A link that no longer works: a clear page that says why and what to do (ask the convenor), no figures."""
    response = page.goto(link)
    assert response.status == (404 if reason == "tampered" else 410), f"a {reason} link answered {response.status}"
    expect(page.get_by_role("heading", level=1)).to_have_text(DEAD_LINK_HEADINGS[reason])
    if reason != "tampered":
        expect(page.locator("main")).to_contain_text("convenor")
    expect(page.locator(".card")).to_have_count(0)
    expect(page.get_by_role("link", name="Bid pack (PDF)")).to_have_count(0)
    journey.step(f"funder link {reason}")
