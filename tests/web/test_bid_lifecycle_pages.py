"""Bid lifecycle pages: extend (and reopen), close early, cancel, open, and transitions that are not allowed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from app.infra import clock
from app.models import BidStatus
from tests.factories import BidFactory
from tests.web.pages import audit_rows, fetch_bid, field_errors, flashes, london_day


def test_extend_moves_the_deadline_later_and_is_audited(login, open_bid, data):
    bid_id, email = open_bid
    browser = login(email)
    old = fetch_bid(data, bid_id).deadline
    response = browser.post_form(
        f"/bids/{bid_id}/extend", {"deadline_date": london_day(20).isoformat(), "deadline_time": "12:00"}
    )
    assert response.status_code == 302
    new = fetch_bid(data, bid_id).deadline
    assert new > old
    assert clock.to_london(new).strftime("%H:%M") == "12:00"
    assert "The deadline is now midday on" in browser.get(response.headers["Location"]).text
    [event] = audit_rows(data, "bid.extended", bid_id)
    assert event.before == {"deadline": old.isoformat()}
    assert event.after == {"deadline": new.isoformat()}


@pytest.mark.parametrize(
    ("days", "time", "field", "message"),
    [
        (1, "09:00", "deadline_date", "The new deadline must be later than the current one."),
        (-3, "09:00", "deadline_date", "The new deadline must be in the future."),
        (None, "09:00", "deadline_date", "Enter the new deadline date."),
        (20, "", "deadline_time", "Enter the new deadline time."),
    ],
)
def test_extend_refuses_bad_deadlines(login, open_bid, data, days, time, field, message):
    bid_id, email = open_bid
    browser = login(email)
    old = fetch_bid(data, bid_id)
    response = browser.post_form(
        f"/bids/{bid_id}/extend",
        {"deadline_date": london_day(days).isoformat() if days is not None else "", "deadline_time": time},
    )
    assert response.status_code == 422
    assert field_errors(response)[field] == [message]
    assert fetch_bid(data, bid_id).deadline == old.deadline
    assert audit_rows(data, "bid.extended", bid_id) == []


def test_extend_refuses_a_time_skipped_by_the_clocks(login, open_bid):
    bid_id, email = open_bid
    with time_machine.travel(datetime(2027, 1, 10, 12, 0, tzinfo=UTC), tick=False):
        response = login(email).post_form(
            f"/bids/{bid_id}/extend", {"deadline_date": "2027-03-28", "deadline_time": "01:30"}
        )
    assert response.status_code == 422
    assert "That time does not exist in the UK" in field_errors(response)["deadline_time"][0]


def test_close_early_then_reopen_with_a_new_deadline(login, open_bid, data):
    bid_id, email = open_bid
    browser = login(email)
    response = browser.post_form(f"/bids/{bid_id}/close", {"confirm": "yes"}, page=f"/bids/{bid_id}")
    assert response.status_code == 302
    assert "The bid is closed: no more pledges will be taken." in flashes(browser.get(f"/bids/{bid_id}"))
    assert fetch_bid(data, bid_id).status == BidStatus.CLOSED
    assert [e.after["reason"] for e in audit_rows(data, "bid.closed", bid_id)] == ["early"]

    page = browser.get(f"/bids/{bid_id}/extend")
    assert "Reopen the bid with a new deadline" in page.text
    # A closed bid may reopen with any future deadline, even one earlier than the old one.
    response = browser.post_form(
        f"/bids/{bid_id}/extend", {"deadline_date": london_day(2).isoformat(), "deadline_time": "17:00"}
    )
    assert response.status_code == 302
    bid = fetch_bid(data, bid_id)
    assert bid.status == BidStatus.OPEN
    assert bid.closed_at is None
    [event] = audit_rows(data, "bid.reopened", bid_id)
    assert event.after == {"deadline": bid.deadline.isoformat()}


def test_cancel_an_open_bid(login, open_bid, data):
    bid_id, email = open_bid
    browser = login(email)
    assert browser.post_form(f"/bids/{bid_id}/cancel", {"confirm": "yes"}, page=f"/bids/{bid_id}").status_code == 302
    assert "The bid is cancelled." in flashes(browser.get(f"/bids/{bid_id}"))
    bid = fetch_bid(data, bid_id)
    assert bid.status == BidStatus.CANCELLED
    assert bid.cancelled_at is not None
    assert len(audit_rows(data, "bid.cancelled", bid_id)) == 1


def test_open_a_draft_from_its_dashboard(login, data):
    with data():
        bid = BidFactory(status=BidStatus.DRAFT, opened_at=None)
        bid_id, email = bid.id, bid.created_by.email
    browser = login(email)
    assert "Open for pledges" in browser.get(f"/bids/{bid_id}").text
    browser.post_form(f"/bids/{bid_id}/open", page=f"/bids/{bid_id}")
    assert fetch_bid(data, bid_id).status == BidStatus.OPEN


@pytest.mark.parametrize(
    ("status", "action", "becomes"),
    [
        (BidStatus.OPEN, "open", "open"),
        (BidStatus.OPEN, "submit", "submitted"),
        (BidStatus.CLOSED, "cancel", "cancelled"),
        (BidStatus.CLOSED, "close", "closed"),
        (BidStatus.CANCELLED, "open", "open"),
        (BidStatus.SUBMITTED, "close", "closed"),
        (BidStatus.DRAFT, "close", "closed"),
    ],
)
def test_transitions_not_allowed_give_a_flash_not_an_error(login, data, status, action, becomes):
    with data():
        bid = BidFactory(status=status)
        bid_id, email = bid.id, bid.created_by.email
    browser = login(email)
    response = browser.post_form(f"/bids/{bid_id}/{action}", page=f"/bids/{bid_id}")
    assert response.status_code == 302
    page = browser.get(response.headers["Location"])
    assert page.status_code == 200
    assert any(m.endswith(f"{status} bid cannot become {becomes}.") for m in flashes(page)), flashes(page)
    assert fetch_bid(data, bid_id).status == status


def test_opening_a_draft_whose_deadline_has_passed_says_why(login, data):
    with data():
        bid = BidFactory(status=BidStatus.DRAFT, deadline=clock.now() - timedelta(hours=1))
        bid_id, email = bid.id, bid.created_by.email
    browser = login(email)
    browser.post_form(f"/bids/{bid_id}/open", page=f"/bids/{bid_id}")
    assert "The deadline has passed: set a later deadline before opening." in flashes(browser.get(f"/bids/{bid_id}"))
    assert fetch_bid(data, bid_id).status == BidStatus.DRAFT


@pytest.mark.parametrize("status", [BidStatus.CANCELLED, BidStatus.SUBMITTED])
def test_finished_bids_cannot_be_edited_or_extended(login, data, status):
    with data():
        bid = BidFactory(status=status)
        bid_id, email = bid.id, bid.created_by.email
    browser = login(email)
    edit = browser.get(f"/bids/{bid_id}/edit")
    assert edit.status_code == 302
    assert f"A {status} bid cannot be edited." in flashes(browser.get(f"/bids/{bid_id}"))
    response = browser.post_form(
        f"/bids/{bid_id}/extend", {"deadline_date": london_day(40).isoformat(), "deadline_time": "17:00"}
    )
    assert response.status_code == 422
    assert f"The deadline of a {status} bid cannot be changed." in response.text
    assert fetch_bid(data, bid_id).status == status


def test_transition_without_csrf_is_refused(login, open_bid, data):
    bid_id, email = open_bid
    browser = login(email)
    assert browser.client.post(f"/bids/{bid_id}/close").status_code == 400
    assert fetch_bid(data, bid_id).status == BidStatus.OPEN
