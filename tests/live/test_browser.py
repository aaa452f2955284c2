"""In a real browser: a member pledges in one context; the convenor's open dashboard in another shows the new
total, the feed line and the chart without a reload."""

from __future__ import annotations

import os
import re

import pytest

from tests.conftest import need
from tests.factories import PASSWORD
from tests.live.helpers import make_scene
from tests.live.server import gunicorn, have_gunicorn, in_own_thread

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def log_in(page, base, email):
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_a_pledge_appears_on_the_open_dashboard_without_a_reload(app, database_url, tmp_path):
    need(os.path.exists(CHROMIUM), "Debian's chromium at /usr/bin/chromium")
    need(have_gunicorn(), "gunicorn in the virtualenv")
    from playwright.sync_api import expect, sync_playwright

    scene = make_scene(app, show_amounts=False)
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
                    expect(convenor.locator("[data-live-indicator-text]")).to_have_text("Live", timeout=10_000)
                    expect(convenor.locator("[data-live-fragment=figures] .card-figure").first).to_have_text("£0")
                    convenor.evaluate("window.__sameDocument = true")

                    member = browser.new_context().new_page()
                    log_in(member, base, scene.riverside)
                    member.goto(f"{base}/bids/{scene.bid_id}/pledge")
                    member.fill("input[name=amount]", "250,000")
                    member.fill("input[name=homes]", "12400")
                    member.check("input[name=regions][value=NW]")
                    member.check("input[name=status][value=confirmed]")
                    member.check("input[name=accept_terms]")
                    member.click("main form button[type=submit] >> nth=0")
                    member.wait_for_url(f"{base}/bids/{scene.bid_id}/pledges/*/receipt")

                    figures = convenor.locator("[data-live-fragment=figures] .card-figure").first
                    expect(figures).to_have_text("£250,000", timeout=10_000)
                    feed = convenor.locator("[data-live-fragment=feed] li").first
                    expect(feed).to_contain_text("Riverside Homes confirmed £250,000 covering 12,400 homes")
                    expect(feed).to_contain_text("just now")
                    expect(convenor.locator("[data-live-fragment=members]")).to_contain_text("Riverside Homes")
                    expect(convenor.locator("#chart-cum-desc")).to_contain_text("£250,000")
                    assert convenor.evaluate("window.__sameDocument") is True  # updated in place, not reloaded
                    assert "Closed" not in convenor.inner_text("[data-live-countdown]")
                    convenor.screenshot(path=str(tmp_path / "convenor-live.png"), full_page=True)
                    if os.environ.get("LIVE_SCREENSHOT_DIR"):
                        convenor.screenshot(path=os.path.join(os.environ["LIVE_SCREENSHOT_DIR"], "convenor-live.png"))
                    assert not [e for e in errors if "Content Security Policy" in e], errors
                finally:
                    browser.close()

        in_own_thread(steps)


def test_the_countdown_follows_the_server_clock_not_the_visitors(app, database_url, tmp_path):
    need(os.path.exists(CHROMIUM), "Debian's chromium at /usr/bin/chromium")
    need(have_gunicorn(), "gunicorn in the virtualenv")
    from datetime import timedelta

    from playwright.sync_api import expect, sync_playwright

    from app.infra import clock

    scene = make_scene(app, deadline=clock.now() + timedelta(minutes=3))
    with gunicorn(database_url, tmp_path, workers=1) as base:

        def steps():
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                try:
                    page = browser.new_context().new_page()
                    log_in(page, base, scene.convenor)
                    # This visitor's clock is a day fast: by it, the deadline passed long ago.
                    page.clock.install(time=clock.now() + timedelta(days=1))
                    page.goto(f"{base}/bids/{scene.bid_id}")
                    countdown = page.locator("[data-live-countdown]")
                    expect(countdown).to_have_text(re.compile(r"^([123] minutes? )?\d+ seconds? left$"), timeout=10_000)
                    # Wait for the stream's first snapshot: a later one would set the clock right again.
                    expect(page.locator("[data-live-root]")).to_have_attribute("data-synced-at", re.compile("."))
                    page.clock.fast_forward("05:00")  # five minutes later by any clock: the deadline has passed
                    expect(countdown).to_have_text("Closed", timeout=10_000)
                finally:
                    browser.close()

        in_own_thread(steps)


def test_a_browser_without_eventsource_polls_and_still_sees_the_pledge(app, database_url, tmp_path):
    need(os.path.exists(CHROMIUM), "Debian's chromium at /usr/bin/chromium")
    need(have_gunicorn(), "gunicorn in the virtualenv")
    from playwright.sync_api import expect, sync_playwright

    from tests.live.helpers import pledge_as

    scene = make_scene(app)
    with gunicorn(database_url, tmp_path, workers=1, env={"LIVE_POLL_SECONDS": "1"}) as base:

        def steps():
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                try:
                    page = browser.new_context().new_page()
                    page.add_init_script("delete window.EventSource;")  # as in a browser that cannot stream
                    log_in(page, base, scene.convenor)
                    page.goto(f"{base}/bids/{scene.bid_id}")
                    expect(page.locator("[data-live-indicator-text]")).to_have_text("Updating every second")
                    pledge_as(app, scene.riverside, scene.bid_id, 75_000_00)
                    expect(page.locator("[data-live-fragment=figures] .card-figure").first).to_have_text(
                        "£75,000", timeout=10_000
                    )
                    expect(page.locator("[data-live-fragment=feed] li").first).to_contain_text(
                        "Riverside Homes confirmed"
                    )
                finally:
                    browser.close()

        in_own_thread(steps)


def test_an_open_member_page_shows_the_bid_closing(app, database_url, tmp_path):
    need(os.path.exists(CHROMIUM), "Debian's chromium at /usr/bin/chromium")
    need(have_gunicorn(), "gunicorn in the virtualenv")
    import sqlalchemy as sa
    from playwright.sync_api import expect, sync_playwright

    from app.extensions import db
    from app.models import Bid, User
    from app.services import bids

    scene = make_scene(app)
    with gunicorn(database_url, tmp_path, workers=1) as base:

        def steps():
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                try:
                    page = browser.new_context().new_page()
                    log_in(page, base, scene.riverside)
                    page.goto(f"{base}/bids/{scene.bid_id}")
                    expect(page.locator("[data-live-indicator-text]")).to_have_text("Live", timeout=10_000)
                    assert "no longer taking pledges" not in page.inner_text("main")
                    with app.app_context(), app.test_request_context():  # the convenor closes it, elsewhere
                        convenor = db.session.scalar(sa.select(User).where(User.email == scene.convenor))
                        bids.close_bid(convenor, db.session.get(Bid, scene.bid_id))
                        db.session.commit()
                    # Found by the stream's next database read (no Redis here); the page then shows the new state.
                    expect(page.locator("main")).to_contain_text("This bid is no longer taking pledges", timeout=10_000)
                    # A closed bid is not live and has no time left: no indicator, no countdown.
                    expect(page.locator("[data-live-indicator]")).to_have_count(0)
                    expect(page.locator("[data-live-countdown]")).to_have_count(0)
                    expect(page.locator("[data-live-fragment=feed] li").first).to_contain_text("The bid is now closed")
                finally:
                    browser.close()

        in_own_thread(steps)
