"""In a real browser: an update changes only what changed. A second organisation's pledge adds its row to the
open tables (by name on a member's page), an amendment replaces that row in place, the total row and the feed
follow, and nothing reloads."""

from __future__ import annotations

import os

import pytest

from tests.conftest import need
from tests.live.helpers import make_scene, pledge_as
from tests.live.server import gunicorn, have_gunicorn, in_own_thread
from tests.live.test_browser import ARGS, CHROMIUM, log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_updates_replace_the_changed_row_and_add_a_new_one_without_a_reload(app, database_url, tmp_path):
    need(os.path.exists(CHROMIUM), "Debian's chromium at /usr/bin/chromium")
    need(have_gunicorn(), "gunicorn in the virtualenv")
    from playwright.sync_api import expect, sync_playwright

    scene = make_scene(app, show_amounts=True)
    pledge_as(app, scene.riverside, scene.bid_id, 100_000_00)
    with gunicorn(database_url, tmp_path, workers=1) as base:

        def steps():
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                try:
                    convenor = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                    errors: list[str] = []
                    convenor.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                    log_in(convenor, base, scene.convenor)
                    convenor.goto(f"{base}/bids/{scene.bid_id}")
                    member = browser.new_context().new_page()
                    log_in(member, base, scene.riverside)
                    member.goto(f"{base}/bids/{scene.bid_id}")
                    for page in (convenor, member):
                        expect(page.locator("[data-live-indicator-text]")).to_have_text("Live", timeout=10_000)
                        page.evaluate("window.__sameDocument = true")
                    rows = convenor.locator("[data-live-fragment=members] tbody tr[data-organisation-id]")
                    expect(rows).to_have_count(1)

                    pledge_as(app, scene.other, scene.bid_id, 50_000_00)  # found by the worker's capped read
                    expect(rows).to_have_count(2, timeout=10_000)
                    harbour = rows.filter(has_text="Harbour Light Homes")
                    expect(harbour).to_contain_text("£50,000")
                    total = convenor.locator("[data-live-fragment=members] tfoot tr")
                    expect(total).to_contain_text("Total, all 2 members")
                    expect(total).to_contain_text("£150,000")
                    names = member.locator("[data-live-fragment=members] tbody tr .member-name")
                    expect(names).to_have_text(["Harbour Light Homes", "Riverside Homes"], timeout=10_000)

                    pledge_as(app, scene.other, scene.bid_id, 60_000_00)  # an amendment: the same row, replaced
                    expect(harbour).to_contain_text("£60,000", timeout=10_000)
                    expect(rows).to_have_count(2)
                    expect(total).to_contain_text("£160,000")
                    feed = convenor.locator("[data-live-fragment=feed] li")
                    expect(feed).to_have_count(3)
                    expect(feed.first).to_contain_text("Harbour Light Homes")
                    expect(member.locator("[data-live-fragment=members] tbody tr")).to_have_count(2)
                    for page in (convenor, member):
                        assert page.evaluate("window.__sameDocument") is True  # updated in place, not reloaded
                    assert not errors, errors
                finally:
                    browser.close()

        in_own_thread(steps)


def test_a_convenors_page_reorders_its_rows_and_moves_its_charts_in_place(app, database_url, tmp_path):
    """The update carries the page's order and the rows it may lack; the charts move as data. A page that cannot
    apply an update (here: a chart told it has other parts) takes a fresh snapshot, still without a reload."""
    need(os.path.exists(CHROMIUM), "Debian's chromium at /usr/bin/chromium")
    need(have_gunicorn(), "gunicorn in the virtualenv")
    from playwright.sync_api import expect, sync_playwright

    scene = make_scene(app, show_amounts=True)
    pledge_as(app, scene.riverside, scene.bid_id, 100_000_00)
    pledge_as(app, scene.other, scene.bid_id, 50_000_00)
    with gunicorn(database_url, tmp_path, workers=1) as base:

        def steps():
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                try:
                    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                    errors: list[str] = []
                    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                    log_in(page, base, scene.convenor)
                    page.goto(f"{base}/bids/{scene.bid_id}")
                    expect(page.locator("[data-live-indicator-text]")).to_have_text("Live", timeout=10_000)
                    page.evaluate("window.__sameDocument = true")
                    names = page.locator("[data-live-fragment=members] tbody tr .member-name")
                    expect(names).to_have_text(["Riverside Homes", "Harbour Light Homes"])
                    line = page.locator("[data-live-fragment=charts] [data-chart=line]")
                    before = line.get_attribute("d")

                    pledge_as(app, scene.other, scene.bid_id, 150_000_00)  # Harbour now first by amount
                    expect(names).to_have_text(["Harbour Light Homes", "Riverside Homes"], timeout=10_000)
                    expect(page.locator("[data-live-fragment=members] tfoot")).to_contain_text("£250,000")
                    expect(page.locator("#chart-cum-desc")).to_contain_text("£250,000")
                    assert line.get_attribute("d") != before
                    expect(page.locator("[data-live-fragment=charts] tbody[data-chart=table] tr").last).to_contain_text(
                        "£250,000"
                    )

                    # A chart with other parts than the update's: the page reconnects and takes a snapshot.
                    page.evaluate("document.querySelector('[data-chart-shape]').setAttribute('data-chart-shape', 'x')")
                    pledge_as(app, scene.riverside, scene.bid_id, 200_000_00)
                    expect(names).to_have_text(["Riverside Homes", "Harbour Light Homes"], timeout=10_000)
                    shape = page.locator("[data-live-fragment=charts] [data-chart-shape]")
                    expect(shape).not_to_have_attribute("data-chart-shape", "x", timeout=10_000)
                    expect(page.locator("#chart-cum-desc")).to_contain_text("£350,000")
                    expect(page.locator("[data-live-indicator-text]")).to_have_text("Live")
                    assert page.evaluate("window.__sameDocument") is True  # updated in place, not reloaded
                    assert not errors, errors
                finally:
                    browser.close()

        in_own_thread(steps)
