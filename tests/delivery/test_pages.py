"""The after-the-bid pages: recording the outcome, the grant form's bad input, the dashboard and the export."""

from __future__ import annotations

import csv
import io
import json

import sqlalchemy as sa

from app.extensions import db
from app.models import BidStatus, Grant
from tests.conftest import Browser
from tests.delivery.helpers import WON, grant_by, submitted_bid, won_bid
from tests.factories import PASSWORD


def _setup(committed_fn, won=True, members=2):
    def make():
        bid, users = won_bid(members) if won else submitted_bid(members)
        if won:
            grant_by(users[0], bid)
        return bid.id, bid.created_by.email, [u.email for u in users]

    return committed_fn(make)


def _committed(app):
    def run(fn):
        with app.app_context():
            result = fn()
            db.session.commit()
            db.session.remove()
            return result

    return run


def test_the_convenor_records_won_on_the_form_and_members_see_it(app, client):
    bid_id, convenor, members = _setup(_committed(app), won=False)
    browser = Browser(client)
    browser.login(convenor, PASSWORD)
    page = browser.get(f"/bids/{bid_id}")
    assert "Record the outcome" in page.text
    form = {
        "result": "won",
        "amount_awarded": "£5,000,000",
        "award_date": "2026-12-01",
        "grant_reference": "R-1",
        "spend_by": "2027-12-31",
        "version": "0",
    }
    response = browser.post_form(f"/bids/{bid_id}/outcome", form)
    assert response.status_code == 302
    browser.client.post("/logout", data={"csrf_token": ""})
    other = Browser(app.test_client())
    other.login(members[0], PASSWORD)
    page = other.get(f"/bids/{bid_id}").text
    assert "Outcome: Won" in page and "£5,000,000 awarded on 1 December 2026" in page


def test_bad_outcome_form_values_are_shown_beside_the_fields(app, client):
    bid_id, convenor, _members = _setup(_committed(app), won=False)
    browser = Browser(client)
    browser.login(convenor, PASSWORD)
    response = browser.post_form(
        f"/bids/{bid_id}/outcome",
        {"result": "won", "amount_awarded": "lots", "award_date": "02/11/2020", "version": "0"},
    )
    assert response.status_code == 422
    assert "Enter the amount as a number of pounds" in response.text
    assert "Enter the date as year-month-day" in response.text
    with app.app_context():
        from app.models import Bid

        assert db.session.get(Bid, bid_id).status == BidStatus.SUBMITTED


def test_a_member_records_a_grant_on_the_form_and_bad_values_save_nothing(app, client):
    bid_id, _convenor, members = _setup(_committed(app))
    browser = Browser(client)
    browser.login(members[1], PASSWORD)
    bad = {
        "recipient_name": "",
        "amount": "5,000.123",
        "award_date": "02/11/2020",
        "title": "T",
        "description": "Email me at a@b.org",
        "location_gss": "E08000003",
        "location_name": "",
    }
    response = browser.post_form(f"/bids/{bid_id}/grants/new", bad)
    assert response.status_code == 422
    for message in ("Enter the recipient", "two decimal places", "year-month-day"):
        assert message in response.text
    good = {
        "recipient_name": "Hulme Youth Club",
        "amount": "£5,000",
        "award_date": "2027-01-10",
        "title": "Summer sessions",
        "description": "Six weeks of sport.",
        "location_name": "Manchester",
        "location_gss": "E08000003",
        "region": "NW",
        "recipient_company_number": "01234567",
    }
    assert browser.post_form(f"/bids/{bid_id}/grants/new", good).status_code == 302
    with app.app_context():
        saved = db.session.scalars(sa.select(Grant).where(Grant.recipient_name == "Hulme Youth Club")).one()
        assert saved.amount_pence == 500_000 and saved.recipient_company_number == "01234567"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Grant)) == 2
    listing = browser.get(f"/bids/{bid_id}/grants").text
    assert "Hulme Youth Club" in listing and "Ancoats" not in listing  # another member's grant is not listed
    dashboard = browser.get(f"/bids/{bid_id}/delivery").text
    assert "£10,000" in dashboard and "Delivery Homes 1" not in dashboard


def test_the_convenor_sees_every_member_and_downloads_agreeing_csv_and_json(app, client):
    bid_id, convenor, _members = _setup(_committed(app))
    browser = Browser(client)
    browser.login(convenor, PASSWORD)
    dashboard = browser.get(f"/bids/{bid_id}/delivery").text
    assert "Delivery Homes 1" in dashboard and "Delivery Homes 2" in dashboard
    assert "The grant passes the checks" in browser.get(f"/bids/{bid_id}/360giving").text
    data = json.loads(browser.get(f"/bids/{bid_id}/360giving.json").data)
    rows = list(csv.DictReader(io.StringIO(browser.get(f"/bids/{bid_id}/360giving.csv").data.decode())))
    assert [g["id"] for g in data["grants"]] == [r["Identifier"] for r in rows]
    xlsx = browser.get(f"/bids/{bid_id}/360giving.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_the_360giving_page_lists_failing_grants_and_offers_the_files_without_them(app, client):
    bid_id, convenor, _members = _setup(_committed(app))
    with app.app_context():
        grant = db.session.scalars(sa.select(Grant)).one()
        grant.description = "Call jo@example.org"
        db.session.commit()
    browser = Browser(client)
    browser.login(convenor, PASSWORD)
    page = browser.get(f"/bids/{bid_id}/360giving").text
    assert "1 grant cannot be published yet" in page and "contains an email address (jo@example.org)" in page
    refused = browser.get(f"/bids/{bid_id}/360giving.csv")
    assert refused.status_code == 302 and refused.headers["Location"].endswith(f"/bids/{bid_id}/360giving")
    without = browser.get(f"/bids/{bid_id}/360giving.csv?without_failing=1")
    assert without.status_code == 200 and len(without.data.decode().strip().splitlines()) == 1  # the header only


def test_every_page_of_a_bid_with_an_outcome_says_so_in_one_line(app, client):
    from app.models import Bid, Pledge
    from app.services import outcomes

    def make():
        bid, users = submitted_bid(1)
        outcomes.record_outcome(bid.created_by, bid, {"result": "lost", "reason": "Oversubscribed."})
        pledge = db.session.scalar(sa.select(Pledge).where(Pledge.bid_id == bid.id))
        return bid.id, bid.created_by.email, users[0].email, pledge.id

    bid_id, convenor, member, pledge_id = _committed(app)(make)
    browser = Browser(client)
    browser.login(convenor, PASSWORD)
    for path in (f"/bids/{bid_id}/invitations", f"/bids/{bid_id}/audit", f"/bids/{bid_id}/pledges/{pledge_id}/history"):
        page = browser.get(path)
        assert page.status_code == 200, path
        assert page.text.count('id="bid-outcome"') == 1 and "Outcome: Lost." in page.text, path
        assert "The pledges are released" in page.text
    dashboard = browser.get(f"/bids/{bid_id}").text  # the full panel there, not the line as well
    assert 'id="bid-outcome"' not in dashboard and "Outcome: Lost" in dashboard
    assert 'id="bid-outcome"' not in browser.get("/bids").text  # not a page of one bid

    def correct():
        bid = db.session.get(Bid, bid_id)
        outcomes.record_outcome(bid.created_by, bid, WON)

    _committed(app)(correct)
    for path in (f"/bids/{bid_id}/grants", f"/bids/{bid_id}/360giving", f"/bids/{bid_id}/invitations"):
        page = browser.get(path)
        assert page.status_code == 200 and "Outcome: Won." in page.text, path
        assert "Delivery: members record the grants" in page.text
    other = Browser(app.test_client())
    other.login(member, PASSWORD)
    page = other.get(f"/bids/{bid_id}/pledges/{pledge_id}/history")
    assert page.status_code == 200 and "Outcome: Won." in page.text
