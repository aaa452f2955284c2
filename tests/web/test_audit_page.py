"""The audit log page for people: sentences, the organisation named, filters, pages, and the CSV honouring them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
import time_machine

from app.infra import clock, tokens
from app.models import InvitationLink
from app.services import audit, bids, invitation_links, invitations, pledges, reminder_plan
from tests.factories import BidFactory, InvitationFactory, member_of
from tests.web.pages import text_of


@pytest.fixture
def log(data):
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), tick=False), data() as s:
        bid = BidFactory(title="Celtic Nations Fund", deadline=datetime(2026, 12, 14, 17, 0, tzinfo=UTC))
        convenor = bid.created_by
        riverside = member_of(bid, name="Riverside Homes", email="sam@riverside.example")
        riverside.name = "Sam Lee"
        pledges.save_pledge(
            riverside,
            bid,
            {
                "amount_pence": 25_000_000,
                "homes": 12_400,
                "regions": ["NI"],
                "statement": "Grants.",
                "status": "indicative",
                "accept_terms": True,
            },
            expected_version=0,
        )
        reminder_plan.set_plan(convenor, bid, [10080, 2880, 120])
        invitation = InvitationFactory(bid=bid, organisation_name="Glen Housing", email="g@glen.example")
        s.flush()
        token, token_hash = tokens.make(invitation_links.PURPOSE, invitation.id)
        s.add(InvitationLink(invitation_id=invitation.id, token_hash=token_hash, reason="invitation"))
        invitations.decline(token, "Not this year")
        ids = {"bid": bid.id, "riverside": riverside.organisation_id, "sam": riverside.id}
    with time_machine.travel(datetime(2026, 12, 3, 15, 42, tzinfo=UTC), tick=False), data() as s:
        from app.models import Bid

        bid = s.get(Bid, ids["bid"])
        bids.extend_deadline(bid.created_by, bid, datetime(2026, 12, 21, 12, 0, tzinfo=UTC))
        for n in range(55):
            audit.record("test.note", actor=bid.created_by, bid=bid, after={"n": n})
        return {**ids, "email": bid.created_by.email}


def test_events_read_as_sentences_with_the_organisation_named(login, log):
    browser = login(log["email"])
    text = text_of(browser.get(f"/bids/{log['bid']}/audit?kind=pledge.created"))
    assert (
        "Sam Lee made Riverside Homes' pledge of £250,000 covering 12,400 homes in Northern Ireland"
        " (indicative)." in text
    )
    plan = text_of(browser.get(f"/bids/{log['bid']}/audit?kind=bid.reminder_plan"))
    assert "to 7 days, 2 days and 2 hours before the deadline." in plan
    assert "Reminder plan changed" in plan  # the kind's name in the filter, not "Bid reminder plan"
    declined = text_of(browser.get(f"/bids/{log['bid']}/audit?kind=invitation.declined"))
    assert (
        'The invitation link for Glen Housing declined the invitation for Glen Housing, saying "Not this year".'
        in declined
    )
    assert "System" not in declined
    extended = text_of(browser.get(f"/bids/{log['bid']}/audit?kind=bid.extended"))
    assert "moved the deadline from 5pm on Monday 14 December 2026 to midday on Monday 21 December 2026." in extended
    assert "3:42pm on Thursday 3 December 2026" in extended
    # The raw values stay available under Details.
    assert "2026-12-14T17:00:00+00:00" in extended and "<details>" in extended


def test_filters_by_organisation_person_and_dates(login, log):
    browser = login(log["email"])
    base = f"/bids/{log['bid']}/audit"
    riverside = text_of(browser.get(f"{base}?organisation={log['riverside']}"))
    assert "Riverside Homes' pledge" in riverside
    assert "declined the invitation for Glen Housing" not in riverside and "moved the deadline" not in riverside
    glen = text_of(browser.get(f"{base}?kind=invitation.declined&organisation={log['riverside']}"))
    assert "No events match the filter." in glen
    sam = text_of(browser.get(f"{base}?person={log['sam']}"))
    assert "1 event matches the filter" in sam
    assert "Sam Lee made Riverside Homes' pledge" in sam and "moved the deadline" not in sam
    early = text_of(browser.get(f"{base}?from=2026-12-01&to=2026-12-01"))
    assert "made Riverside Homes' pledge" in early and "moved the deadline" not in early
    late = text_of(browser.get(f"{base}?from=2026-12-02&kind=bid.extended"))
    assert "1 event matches the filter" in late


def test_bad_dates_say_so_and_are_not_applied(login, log):
    text = text_of(login(log["email"]).get(f"/bids/{log['bid']}/audit?from=14/12/2026&to=2026-11-01"))
    assert "From: enter a date such as 2026-12-14; this filter is not applied." in text
    assert "1 event matches the filter" not in text


def test_pages_keep_the_filter(login, log):
    browser = login(log["email"])
    first = browser.get(f"/bids/{log['bid']}/audit?kind=test.note")
    assert "55 events match the filter; showing 1–50." in text_of(first)
    assert f"/bids/{log['bid']}/audit?page=2&amp;kind=test.note" in first.text
    second = text_of(browser.get(f"/bids/{log['bid']}/audit?page=2&kind=test.note"))
    assert "showing 51–55" in second


def test_the_csv_honours_the_filter_and_keeps_raw_values(login, log):
    browser = login(log["email"])
    page = browser.get(f"/bids/{log['bid']}/audit?kind=bid.extended")
    assert f"/bids/{log['bid']}/audit.csv?kind=bid.extended" in page.text
    response = browser.get(f"/bids/{log['bid']}/audit.csv?kind=bid.extended")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r["action"] for r in rows] == ["bid.extended"]
    assert rows[0]["before"] == '{"deadline": "2026-12-14T17:00:00+00:00"}'
    assert "moved the deadline from 5pm on Monday 14 December 2026" in rows[0]["description"]
    assert rows[0]["when_uk"] == clock.format_uk(datetime(2026, 12, 3, 15, 42, tzinfo=UTC))
    everything = browser.get(f"/bids/{log['bid']}/audit.csv")
    assert len(list(csv.DictReader(io.StringIO(everything.data.decode("utf-8-sig"))))) > 55
