"""Bid pages: create, edit while open, and the list of bids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.infra import clock
from app.models import AuditEvent, Bid, BidStatus
from tests.factories import BidFactory, ConvenorFactory, member_of, pledge_for
from tests.web.pages import audit_rows, bid_form, fetch_bid, field_errors, london_day, text_of

# --- create --------------------------------------------------------------------------------------


def test_create_draft_with_money_typed_the_uk_way(login, convenor, data):
    browser = login(convenor)
    response = browser.post_form("/bids/new", {**bid_form(), "action": "draft"})
    assert response.status_code == 302
    with data() as s:
        bid = s.scalar(sa.select(Bid))
        assert bid.status == BidStatus.DRAFT
        assert bid.target_pence == 600_000_000
        assert bid.target_homes == 1_100_000
        assert clock.to_london(bid.deadline).strftime("%H:%M") == "17:00"
        assert bid.deadline.tzinfo is not None
        bid_id = bid.id
    assert response.headers["Location"] == f"/bids/{bid_id}"
    page = browser.get(response.headers["Location"])
    assert "Bid saved as a draft." in page.text
    assert "£6,000,000" in page.text
    assert [e.after["target_pence"] for e in audit_rows(data, "bid.created")] == [600_000_000]
    assert audit_rows(data, "bid.opened") == []


def test_create_and_open(login, convenor, data):
    browser = login(convenor)
    form = bid_form(min_pledge="£10,000", min_total="5,000,000.50", min_members="10", grace_minutes="15")
    response = browser.post_form("/bids/new", {**form, "action": "open"})
    assert response.status_code == 302
    with data() as s:
        bid = s.scalar(sa.select(Bid))
        assert bid.status == BidStatus.OPEN
        assert bid.opened_at is not None
        assert (bid.min_pledge_pence, bid.min_total_pence, bid.min_members) == (1_000_000, 500_000_050, 10)
        assert bid.grace_minutes == 15
    assert "Bid opened: invite organisations next." in browser.get(response.headers["Location"]).text
    assert len(audit_rows(data, "bid.opened")) == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "Enter the title."),
        ({"title": "   "}, "title", "Enter the title."),
        ({"funder_name": ""}, "funder_name", "Enter the funder's name."),
        ({"target": ""}, "target", "Enter an amount in pounds, for example £250,000."),
        ({"target": "abc"}, "target", "Enter the amount as a number of pounds, for example £250,000 or 250000.50."),
        ({"target": "-5,000"}, "target", "The amount cannot be negative."),
        ({"target": "1.234"}, "target", "Use at most two decimal places (pence)."),
        ({"target": "0"}, "target", "The amount must be more than £0."),
        ({"target": "£0.00"}, "target", "The amount must be more than £0."),
        (
            {"target": "£20,000,000,000"},
            "target",
            "That amount is too large: the most one figure can hold is £10,000,000,000.",
        ),
        ({"target_homes": "-1"}, "target_homes", "The number of homes cannot be negative."),
        ({"target_homes": "lots"}, "target_homes", "Enter the target number of homes as a whole number."),
        ({"target_homes": ""}, "target_homes", "Enter the target number of homes as a whole number."),
        ({"target_homes": "12.5"}, "target_homes", "Enter the target number of homes as a whole number."),
        ({"min_members": "ten"}, "min_members", "Enter the minimum number of members as a whole number."),
        ({"min_pledge": "£7,000,000"}, "min_pledge", "The minimum pledge cannot be more than the target."),
        ({"min_members": "0"}, "min_members", "Enter at least 1."),
        ({"grace_minutes": "5000"}, "grace_minutes", "Enter between 0 and 1,440 minutes."),
        ({"deadline_date": ""}, "deadline_date", "Enter the deadline date."),
        ({"deadline_time": ""}, "deadline_time", "Enter the deadline time."),
        ({"deadline_date": "2020-01-01"}, "deadline_date", "The deadline must be in the future."),
    ],
)
@pytest.mark.parametrize("action", ["draft", "open"])
def test_create_refuses_bad_input_beside_the_field_and_saves_nothing(
    login, convenor, count, changes, field, message, action
):
    browser = login(convenor)
    response = browser.post_form("/bids/new", {**bid_form(**changes), "action": action})
    assert response.status_code == 422
    assert field_errors(response).get(field) == [message], field_errors(response)
    assert "There is a problem" in response.text
    assert count(Bid) == 0
    assert count(AuditEvent, AuditEvent.action.like("bid.%")) == 0


def test_create_lists_every_problem_at_once(login, convenor, count):
    browser = login(convenor)
    form = bid_form(title="", target="£1,000", min_pledge="£2,000", deadline_date="2020-01-01", target_homes="x")
    response = browser.post_form("/bids/new", {**form, "action": "open"})
    assert response.status_code == 422
    assert field_errors(response) == {
        "title": ["Enter the title."],
        "target_homes": ["Enter the target number of homes as a whole number."],
        "min_pledge": ["The minimum pledge cannot be more than the target."],
        "deadline_date": ["The deadline must be in the future."],
    }
    assert count(Bid) == 0


def test_a_mistyped_deadline_is_not_reported_twice(login, convenor):
    with time_machine.travel(datetime(2027, 1, 10, 12, 0, tzinfo=UTC), tick=False):
        response = login(convenor).post_form(
            "/bids/new", bid_form(title="", deadline_date="2027-03-28", deadline_time="01:30")
        )
    errors = field_errors(response)
    assert set(errors) == {"title", "deadline_time"}
    assert len(errors["deadline_time"]) == 1


def test_create_refuses_a_london_time_that_does_not_exist(login, convenor, count):
    # 01:30 on 28 March 2027 does not happen in London: the clocks go from 01:00 to 02:00.
    with time_machine.travel(datetime(2027, 1, 10, 12, 0, tzinfo=UTC), tick=False):
        browser = login(convenor)
        response = browser.post_form(
            "/bids/new", {**bid_form(deadline_date="2027-03-28", deadline_time="01:30"), "action": "open"}
        )
    assert response.status_code == 422
    assert field_errors(response)["deadline_time"] == [
        "That time does not exist in the UK: the clocks go forward then. Choose another time."
    ]
    assert count(Bid) == 0


def test_create_reads_the_deadline_as_london_time_in_summer(login, convenor, data):
    with time_machine.travel(datetime(2027, 1, 10, 12, 0, tzinfo=UTC), tick=False):
        browser = login(convenor)
        response = browser.post_form(
            "/bids/new", {**bid_form(deadline_date="2027-07-31", deadline_time="17:00"), "action": "open"}
        )
    assert response.status_code == 302
    with data() as s:
        assert s.scalar(sa.select(Bid.deadline)) == datetime(2027, 7, 31, 16, 0, tzinfo=UTC)  # BST is UTC+1


def test_only_convenors_may_create_bids(login, data, count):
    with data():
        email = member_of(BidFactory()).email
    browser = login(email)
    assert browser.get("/bids/new").status_code == 403
    assert browser.client.post("/bids/new", data=bid_form()).status_code in (400, 403)
    assert count(Bid) == 1


# --- edit while open ---------------------------------------------------------------------------


def test_edit_while_open_is_audited_with_before_and_after(login, open_bid, data):
    bid_id, email = open_bid
    browser = login(email)
    page = browser.get(f"/bids/{bid_id}/edit")
    assert page.status_code == 200
    assert "This bid is open." in page.text
    before = fetch_bid(data, bid_id)
    form = bid_form(
        title="Open bid (revised)",
        target="£6,250,000",
        target_homes=str(before.target_homes),
        deadline_date=clock.to_london(before.deadline).date().isoformat(),
        deadline_time=clock.to_london(before.deadline).strftime("%H:%M"),
        summary=before.summary,
        terms=before.terms,
        funder_name=before.funder_name,
        scheme=before.scheme,
        version=str(before.version),
    )
    response = browser.post_form(f"/bids/{bid_id}/edit", form)
    assert response.status_code == 302
    assert "Bid updated." in browser.get(response.headers["Location"]).text
    after = fetch_bid(data, bid_id)
    assert (after.title, after.target_pence) == ("Open bid (revised)", 625_000_000)
    assert after.deadline == before.deadline
    [event] = audit_rows(data, "bid.edited", bid_id)
    assert event.before == {"title": "Open bid", "target_pence": 600_000_000}
    assert event.after == {"title": "Open bid (revised)", "target_pence": 625_000_000}


def test_the_deadline_of_an_open_bid_cannot_be_moved_by_editing(login, open_bid, data):
    bid_id, email = open_bid
    browser = login(email)
    page = browser.get(f"/bids/{bid_id}/edit")
    assert 'id="deadline_date" name="deadline_date" readonly' in page.text
    assert 'id="deadline_time" name="deadline_time" readonly' in page.text
    before = fetch_bid(data, bid_id)
    form = bid_form(
        title=before.title,
        target="£6,000,000",
        target_homes=str(before.target_homes),
        deadline_date=london_day(60).isoformat(),
        summary=before.summary,
        terms=before.terms,
        version=str(before.version),
    )
    browser.post_form(f"/bids/{bid_id}/edit", form)
    assert fetch_bid(data, bid_id).deadline == before.deadline
    assert all("deadline" not in (e.after or {}) for e in audit_rows(data, "bid.edited", bid_id))


def test_edit_refuses_bad_input_and_keeps_the_bid(login, open_bid, data):
    bid_id, email = open_bid
    browser = login(email)
    before = fetch_bid(data, bid_id)
    response = browser.post_form(f"/bids/{bid_id}/edit", bid_form(title="", target="abc", version=str(before.version)))
    assert response.status_code == 422
    errors = field_errors(response)
    assert errors["title"] == ["Enter the title."]
    assert errors["target"] == ["Enter the amount as a number of pounds, for example £250,000 or 250000.50."]
    after = fetch_bid(data, bid_id)
    assert (after.title, after.target_pence, after.version) == (before.title, before.target_pence, before.version)
    assert audit_rows(data, "bid.edited", bid_id) == []


def test_edit_from_a_stale_form_is_refused(login, open_bid, data):
    bid_id, email = open_bid
    first, second = login(email), login(email)
    version = str(fetch_bid(data, bid_id).version)
    assert first.post_form(f"/bids/{bid_id}/edit", bid_form(title="First", version=version)).status_code == 302
    response = second.post_form(f"/bids/{bid_id}/edit", bid_form(title="Second", version=version))
    assert response.status_code == 422
    assert "Someone else changed this bid after you opened it." in text_of(response)
    assert fetch_bid(data, bid_id).title == "First"


# --- the list of bids --------------------------------------------------------------------------


def test_list_shows_status_totals_and_time_left(login, data):
    now = datetime(2027, 5, 3, 9, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        with data():
            convenor = ConvenorFactory()
            bid = BidFactory(
                title="Spring bid", created_by=convenor, target_pence=100_000_000, deadline=now + timedelta(days=3)
            )
            pledge_for(member_of(bid), bid, amount_pence=25_000_000, homes=1_200)
            pledge_for(member_of(bid), bid, amount_pence=5_000_050, homes=300)
            BidFactory(title="Draft bid", created_by=convenor, status=BidStatus.DRAFT)
            BidFactory(title="Closed bid", created_by=convenor, status=BidStatus.CLOSED)
            BidFactory(title="Somebody else's bid")
            email = convenor.email
        page = login(email).get("/")
    text = text_of(page)
    assert page.status_code == 200
    assert "Somebody else's bid" not in text
    row = text[text.index("Spring bid") :].split("</tr>")[0]
    assert "Open" in row
    assert "£300,000.50" in row
    assert "£1,000,000" in row
    assert "1,500" in row
    assert "3 days" in row
    closed_row = text[text.index("Closed bid") :].split("</tr>")[0]
    assert "Closed" in closed_row and "Not taking pledges" in closed_row
    assert "Draft" in text[text.index("Draft bid") :].split("</tr>")[0]


def test_members_see_only_bids_they_joined_and_never_drafts(login, data):
    with data():
        joined = BidFactory(title="Joined bid")
        user = member_of(joined)
        draft = BidFactory(title="Draft joined", status=BidStatus.DRAFT)
        from tests.factories import InvitationFactory

        InvitationFactory(bid=draft, organisation=user.organisation, status="accepted", email="other@example.org")
        BidFactory(title="Not joined bid")
        email = user.email
    text = login(email).get("/").text
    assert "Joined bid" in text
    assert "Draft joined" not in text
    assert "Not joined bid" not in text
    assert "Create a bid" not in text
