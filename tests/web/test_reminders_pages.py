"""Reminder pages: the plan form, "send a reminder now", the history, the digest opt-out, the grace notice."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.models import Bid, BidStatus, EmailMessage, ReminderSend, User
from app.services import reminders
from tests.factories import BidFactory, ConvenorFactory, member_of, pledge_for
from tests.services.scheduler_helpers import T0, make_cast


@pytest.fixture
def cast(app):
    with app.app_context(), time_machine.travel(T0, tick=False):
        cast = make_cast()
        ids = {"bid": cast.bid.id, "convenor": cast.convenors[0].email, "member": cast.no_pledge.email}
        ids["waiting"] = cast.waiting.id
        db.session.remove()
    return ids


def _plan(app, bid_id):
    with app.app_context():
        return db.session.get(Bid, bid_id).reminder_plan


def test_the_convenor_sees_the_plan_the_send_form_and_the_history(cast, browser, app):
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        browser.login(cast["convenor"])
        page = browser.get(f"/bids/{cast['bid']}/reminders")
    assert page.status_code == 200
    assert 'value="7d, 2d, 24h, 2h"' in page.text
    assert "7 days before: 9am on Thursday 5 March 2026" in page.text
    assert "Everyone who has not responded to the invitation (1)" in page.text
    assert "Only Waiting Homes (not responded, waiting@example.org)" in page.text
    assert "No reminders yet." in page.text
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        assert f'href="/bids/{cast["bid"]}/reminders"' in browser.get(f"/bids/{cast['bid']}").text


@pytest.mark.parametrize("who", ["member", "other convenor", "anonymous"])
def test_nobody_else_sees_the_reminder_pages(cast, make_browser, app, who):
    client = make_browser()
    if who == "member":
        client.login(cast["member"])
    elif who == "other convenor":
        with app.app_context():
            email = ConvenorFactory().email
            db.session.commit()
        client.login(email)
    for response in (
        client.get(f"/bids/{cast['bid']}/reminders"),
        client.client.post(f"/bids/{cast['bid']}/reminders/plan", data={"plan": "1h"}),
    ):
        assert response.status_code in ((302, 400) if who == "anonymous" else (404, 400))
    assert _plan(app, cast["bid"]) == [10080, 2880, 1440, 120]


def test_saving_a_plan(cast, browser, app):
    browser.login(cast["convenor"])
    url = f"/bids/{cast['bid']}/reminders"
    response = browser.post_form(f"{url}/plan", {"plan": "3d, 90m"}, page=url)
    assert response.status_code == 302
    assert _plan(app, cast["bid"]) == [4320, 90]
    assert "The reminder plan is saved." in browser.get(url).text


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ("-2h", "‘-2h’: reminders go before the deadline, so give a positive amount (for example 2h)."),
        ("2h, 120m", "‘2h’ and ‘120m’ are the same moment (2 hours before); give each reminder once."),
        ("tomorrow", "‘tomorrow’ is not a time before the deadline. Use forms like 7d, 48h or 90m."),
        (", ".join(f"{n}h" for n in range(1, 12)), "Give at most 10 reminders; there are 11."),
        ("1h" * 300, "Keep the plan to 500 characters or fewer."),
    ],
)
def test_a_bad_plan_is_refused_with_a_clear_message_and_nothing_saved(cast, browser, app, plan, message):
    browser.login(cast["convenor"])
    url = f"/bids/{cast['bid']}/reminders"
    response = browser.post_form(f"{url}/plan", {"plan": plan}, page=url)
    assert response.status_code == 422
    assert "There is a problem" in response.text
    assert message.replace("‘", "&lsquo;") in response.text or message in response.text.replace("&#39;", "'")
    assert _plan(app, cast["bid"]) == [10080, 2880, 1440, 120]


def test_send_now_sends_once_per_form_and_shows_in_the_history(cast, browser, app):
    url = f"/bids/{cast['bid']}/reminders"
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        browser.login(cast["convenor"])
        page = browser.get(url).text
        send_id = re.search(r'id="send_id" name="send_id" type="hidden" value="([0-9a-f]{32})"', page).group(1)
        data = {"group": "not_responded", "message": "The board meets on Tuesday.", "send_id": send_id}
        first = browser.post_form(f"{url}/send", data, page=url)
        second = browser.post_form(f"{url}/send", data, page=url)  # the same form sent again
        history = browser.get(url).text
    assert first.status_code == second.status_code == 302
    with app.app_context():
        messages = db.session.scalars(sa.select(EmailMessage).where(EmailMessage.kind == "reminder")).all()
        assert [m.to_address for m in messages] == ["waiting@example.org"]
        assert "The board meets on Tuesday." in messages[0].body_text
    assert "This reminder was already sent; nothing was sent again." in history
    assert "Your message" in history and "Waiting Homes" in history and "Sent" in history


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"group": "not_responded", "message": ""}, "Write the message to send."),
        ({"group": "", "message": "Hello"}, "Choose who to remind."),
        ({"group": "invitation:999999", "message": "Hello"}, "That organisation cannot be reminded"),
        ({"group": "not_responded", "message": "x" * 2001}, "Keep the message to 2,000 characters or fewer"),
    ],
)
def test_send_now_bad_input(cast, browser, app, data, message):
    browser.login(cast["convenor"])
    url = f"/bids/{cast['bid']}/reminders"
    response = browser.post_form(f"{url}/send", {**data, "send_id": reminders.new_send_id()}, page=url)
    assert response.status_code == 422
    assert message in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderSend)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(EmailMessage)) == 0


def test_history_lists_planned_reminders_and_skips(cast, browser, app):
    with app.app_context(), time_machine.travel(T0 + timedelta(days=10) - timedelta(hours=30), tick=False):
        reminders.send_due()
    browser.login(cast["convenor"])
    page = browser.get(f"/bids/{cast['bid']}/reminders").text
    assert "Not yet responded" in page and "Please confirm" in page and "Not yet pledged" in page
    assert "2 days before" in page
    assert "Only 1 day 6 hours was left when this 7 days reminder came up, so it was not sent." in page


def test_digest_opt_out_on_the_account_page(cast, browser, app):
    browser.login(cast["convenor"])
    page = browser.get("/account").text
    assert "Do not send me the daily digest email" in page
    assert browser.post_form("/account/digest", {"digest_opt_out": "y"}, page="/account").status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(User.digest_opt_out).where(User.email == cast["convenor"])) is True
    assert 'id="digest_opt_out" name="digest_opt_out" value="y" checked' in browser.get("/account").text
    browser.post_form("/account/digest", {}, page="/account")
    with app.app_context():
        assert db.session.scalar(sa.select(User.digest_opt_out).where(User.email == cast["convenor"])) is False


def test_members_have_no_digest_setting(cast, browser):
    browser.login(cast["member"])
    assert "daily digest" not in browser.get("/account").text


def test_the_member_page_shows_the_grace_window_plainly(app, make_browser):
    with app.app_context(), time_machine.travel(T0, tick=False):
        bid = BidFactory(deadline=T0 + timedelta(days=1), grace_minutes=15)
        started = member_of(bid, email="started@example.org")
        pledge_for(started, bid)
        member_of(bid, email="late@example.org")
        db.session.commit()
        bid_id = bid.id
    # Signed session cookies refuse to go back in time, so each moment logs in afresh.
    with time_machine.travel(T0 + timedelta(hours=20), tick=False):
        starter = make_browser()
        starter.login("started@example.org")
        assert "A grace window of 15 minutes follows the deadline" in starter.get(f"/bids/{bid_id}").text
    with time_machine.travel(T0 + timedelta(days=1, minutes=5), tick=False):
        starter, latecomer = make_browser(), make_browser()
        starter.login("started@example.org")
        latecomer.login("late@example.org")
        during = starter.get(f"/bids/{bid_id}").text
        assert "but you are in the grace window" in during
        assert "you can still save changes until 9:15am on Tuesday 3 March 2026" in during
        assert "Change your pledge" in during
        late = latecomer.get(f"/bids/{bid_id}").text
        assert "only for organisations that had pledged before the deadline" in late
        assert "Make a pledge" not in late and "This bid is no longer taking pledges." in late
    with app.app_context():
        assert db.session.get(Bid, bid_id).status == BidStatus.OPEN
