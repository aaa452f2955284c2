"""The directory pages: the list with its filter and pages, an organisation's page, adding, import, export."""

from __future__ import annotations

import csv
import io
import re

import sqlalchemy as sa
from openpyxl import load_workbook

from app.models import DirectoryContact, DirectoryEntry, Invitation
from app.services import directory_edits
from tests.factories import BidFactory, ConvenorFactory, UserFactory
from tests.web.pages import field_errors, flashes, post_prefixed, text_of


def _directory(data, n=3):
    with data() as s:
        convenor = ConvenorFactory()
        for i in range(n):
            directory_edits.add_organisation(
                convenor,
                {"name": f"Org {i:02d}", "identifier": None},
                contact={"email": f"org{i}@example.org"},
                tags=["Wales"] if i % 2 == 0 else [],
            )
        directory_edits.add_organisation(convenor, {"name": "Zed Homes"})
        s.flush()
        return convenor.email, convenor.organisation_id


def test_list_filters_sorts_and_pages_on_the_server(data, login):
    email, _body = _directory(data, n=60)
    browser = login(email)
    first = browser.get("/directory")
    assert first.status_code == 200
    assert "61 organisations." in text_of(first)
    assert "Page 1 of 2" in first.text
    assert first.text.count('<a href="/directory/organisations/') == 50
    second = browser.get("/directory?page=2")
    assert second.text.count('<a href="/directory/organisations/') == 11
    wales = browser.get("/directory?tag=Wales")
    assert "30 organisations match" in text_of(wales)
    found = browser.get("/directory?q=org7%40")
    assert "1 organisation matches" in text_of(found)
    assert "Org 07" in found.text
    desc = browser.get("/directory?sort=name&dir=desc")
    assert desc.text.index("Zed Homes") < desc.text.index("Org 59") < desc.text.index("Org 20")


def test_export_is_the_filtered_directory_with_formulas_neutralised(data, login):
    with data() as s:
        convenor = ConvenorFactory()
        directory_edits.add_organisation(convenor, {"name": "Alpha"}, contact={"email": "a@x.example", "name": "Ann"})
        entry = directory_edits.add_organisation(convenor, {"name": "Beta"}, tags=["Wales"])
        directory_edits.add_contact(convenor, entry, {"email": "b@x.example", "job_title": "=1+1"})
        s.flush()
        email = convenor.email
    browser = login(email)
    response = browser.get("/directory/export.csv?tag=Wales")
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:2] == ["organisation", "identifier"]
    assert [r[0] for r in rows[1:]] == ["Beta"]
    assert rows[1][8] == "'=1+1"
    book = load_workbook(io.BytesIO(browser.get("/directory/export.xlsx").data))
    sheet = book.active
    assert [c.value for c in sheet["A"]][1:] == ["Alpha", "Beta"]
    assert sheet["I3"].value == "'=1+1" and sheet["I3"].data_type == "s"


def test_add_by_hand_with_errors_beside_the_fields_then_saved(data, login, count):
    with data():
        email = ConvenorFactory().email
    browser = login(email)
    refused = browser.post_form(
        "/directory/organisations/new", {"name": "Alpha", "website": "not a site", "homes_owned": "x"}
    )
    assert refused.status_code == 422
    errors = field_errors(refused)
    assert errors["website"] == ["A website address cannot contain spaces."]
    assert errors["homes_owned"] == ["Enter the number of homes owned as a whole number, for example 12400."]
    assert count(DirectoryEntry) == 0
    done = browser.post_form(
        "/directory/organisations/new", {"name": "Alpha Homes", "contact_email": "ann@alpha.example", "tags": "Wales"}
    )
    assert done.status_code == 302
    page = browser.get(done.headers["Location"])
    assert "Alpha Homes" in page.text and "ann@alpha.example" in page.text and "primary" in page.text
    again = browser.post_form("/directory/organisations/new", {"name": "Alpha Homes Ltd"}, follow_redirects=True)
    assert "Possible duplicate of Alpha Homes" in " ".join(flashes(again))
    assert count(DirectoryContact) == 1


def test_import_page_reports_rows_and_offers_the_refused_back(data, login, count):
    with data():
        email = ConvenorFactory().email
    browser = login(email)
    response = post_prefixed(
        browser,
        "/directory/import",
        "",
        {"rows": "Organisation\tEmail\nAlpha, Ltd\ta@x.example\nBeta\tnot-an-email\n"},
    )
    assert response.status_code == 200
    assert "1 added, 0 updated, 0 skipped, 1 refused." in flashes(response)
    assert "Enter a valid email address" in response.text
    assert "organisation\temail\nBeta\tnot-an-email" in response.text
    wrong = post_prefixed(browser, "/directory/import", "", {"rows": "Name only\nAlpha\n"})
    assert wrong.status_code == 422
    assert field_errors(wrong)["rows"][0].startswith("The first row must name the columns")
    assert count(DirectoryEntry) == 1


def test_a_member_sees_only_their_own_organisations_page(data, login):
    with data() as s:
        bid = BidFactory()
        member = UserFactory()
        from app.models import Invitation
        from app.services import directory_members

        invitation = Invitation(
            bid_id=bid.id,
            organisation_name=member.organisation.name,
            email=member.email,
            organisation_id=member.organisation_id,
            invited_by_id=bid.created_by_id,
            expires_at=bid.deadline,
            status="accepted",
        )
        s.add(invitation)
        s.flush()
        directory_members.note_invited(bid, [invitation])
        directory_members.note_accepted(invitation, member)
        entry_id = s.scalar(sa.select(DirectoryEntry.id))
        email, name = member.email, member.organisation.name
    browser = login(email)
    mine = browser.get("/directory/mine")
    assert mine.headers["Location"].endswith(f"/directory/organisations/{entry_id}")
    page = browser.get(f"/directory/organisations/{entry_id}")
    assert name in page.text and "Invited to 1 bid" in page.text
    assert "Add a contact" not in page.text
    assert browser.get("/directory/import").status_code == 403


def test_the_current_filter_can_be_invited_to_an_open_bid(data, login):
    with data():
        bid = BidFactory()
        convenor = bid.created_by
        directory_edits.add_organisation(convenor, {"name": "Tagged"}, contact={"email": "t@x.example"}, tags=["Wales"])
        directory_edits.add_organisation(convenor, {"name": "Other"}, contact={"email": "o@x.example"})
        email, bid_id = convenor.email, bid.id
    browser = login(email)
    page = browser.get("/directory?tag=Wales")
    link = f"/bids/{bid_id}/invitations/directory?tag=Wales"
    assert f'href="{link}"' in page.text
    preview = browser.get(link)
    assert "1 organisation will be emailed" in text_of(preview)
    assert "Tagged" in preview.text and "Other" not in preview.text


def test_an_organisation_s_page_shows_a_released_pledge_as_history(data, login):
    from app.models import BidStatus
    from app.services import directory_members, outcomes
    from tests.factories import member_of, pledge_for

    with data() as s:
        bid = BidFactory(status=BidStatus.SUBMITTED, title="Lost Fund Bid")
        member = member_of(bid, name="Released Homes")
        pledge_for(member, bid, amount_pence=700_000)
        invitation = s.scalar(sa.select(Invitation).where(Invitation.email == member.email))
        directory_members.note_invited(bid, [invitation])
        directory_members.note_accepted(invitation, member)
        outcomes.record_outcome(bid.created_by, bid, {"result": "withdrawn"})
        entry_id = s.scalar(sa.select(DirectoryEntry.id))
        convenor, email = bid.created_by.email, member.email
    for who in (convenor, email):
        page = login(who).get(f"/directory/organisations/{entry_id}")
        text = " ".join(re.sub(r"<[^>]+>", " ", text_of(page)).split())
        assert "Lost Fund Bid" in text and "£7,000" in text
        assert "Released on" in text and "of which £7,000 (1 pledge) released" in text
