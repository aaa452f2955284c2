"""Bulk invitations by pasting or uploading a CSV: the report per row, and whole-file refusals."""

from __future__ import annotations

import html
import io
import re

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.models import AuditEvent, Bid, DirectoryEntry, Invitation
from tests.factories import BidFactory, InvitationFactory
from tests.web.pages import csrf_token, field_errors, flashes, post_prefixed, report_rows, text_of


@pytest.fixture
def inviter(data, login):
    """A logged-in inviter and their open bid: (browser, bid_id)."""
    with data():
        bid = BidFactory()
        bid_id, email = bid.id, bid.created_by.email
    return login(email), bid_id


def upload(browser, bid_id, content: bytes, filename: str = "members.csv"):
    """Post the bulk form with a file, as a browser does.

    The body is encoded up front: Werkzeug's test client would otherwise spool a large body to a
    temporary file it never closes, and the ResourceWarning would fail a later test at random.
    """
    url = f"/bids/{bid_id}/invitations"
    fields = {
        "bulk-csrf_token": csrf_token(browser.get(url)),
        "kind": "bulk",
        "bulk-file": FileStorage(io.BytesIO(content), filename, content_type="text/csv"),
    }
    boundary, body = encode_multipart(fields)
    return browser.client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def paste(browser, bid_id, text: str):
    return post_prefixed(browser, f"/bids/{bid_id}/invitations", "bulk", {"kind": "bulk", "bulk-rows": text})


def csv_of(n: int, *, header: bool = True, start: int = 0) -> bytes:
    lines = ["organisation name,contact email"] if header else []
    lines += [f"Member Landlord {i},contact{i}@landlord{i}.example" for i in range(start, start + n)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def test_paste_from_a_spreadsheet(inviter, count, outbox):
    browser, bid_id = inviter
    response = paste(
        browser,
        bid_id,
        "Organisation name\tContact email\nAlpha Homes\talpha@example.org\nBeta Homes\tbeta@example.org\n",
    )
    assert response.status_code == 200
    assert "2 invited, 0 refused." in flashes(response)
    assert report_rows(response) == []
    assert count(Invitation) == 2
    assert sorted(m.to[0] for m in outbox) == ["alpha@example.org", "beta@example.org"]


def test_three_hundred_rows_in_one_upload(inviter, count, outbox, data):
    browser, bid_id = inviter
    response = upload(browser, bid_id, csv_of(300))
    assert response.status_code == 200
    assert "300 invited, 0 refused" in response.text
    assert count(Invitation, Invitation.bid_id == bid_id) == 300
    assert len(outbox) == 300
    assert len({m.body for m in outbox}) == 300  # each has its own link
    with data() as s:
        assert s.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "invitation.sent")) == 300
    listing = browser.get(f"/bids/{bid_id}/invitations")
    assert listing.text.count('class="tag tag-sent"') == 300


def test_report_lists_each_refused_row_with_its_reason(inviter, data, count, outbox):
    browser, bid_id = inviter
    with data() as s:
        InvitationFactory(bid=s.get(Bid, bid_id), email="existing@example.org", organisation_name="Existing Homes")
    content = "\r\n".join(
        [
            "organisation name,contact email",
            "Alpha Homes,alpha@example.org",  # 2
            "Beta Homes,not-an-email",  # 3
            "Gamma Homes,ALPHA@example.org",  # 4: same address as line 2
            '"=HYPERLINK(""http://x"",""y"")",delta@example.org',  # 5
            "+Plus Homes,plus@example.org",  # 6
            "@Sum Homes,sum@example.org",  # 7
            "Existing Homes,existing@example.org",  # 8: already invited
            ",noname@example.org",  # 9
            "Epsilon Homes,eps@example.org,extra",  # 10
            'Zeta Homes,"=HYPERLINK(""http://x"",""y"")"',  # 11
            "Eta Homes,eta@example.org",  # 12
        ]
    ).encode("utf-8")
    response = upload(browser, bid_id, content)
    assert response.status_code == 200
    assert "2 invited, 9 refused." in flashes(response)
    reasons = {int(line): reason for line, _name, _email, reason in report_rows(response)}
    formula = "The organisation name cannot start with =, +, - or @ (it looks like a spreadsheet formula)."
    assert reasons == {
        3: "The email address is not valid: 'not-an-email'.",
        4: "The same email address is on line 2.",
        5: formula,
        6: formula,
        7: formula,
        8: "This email address was already invited to this bid (sent).",
        9: "The organisation name is missing.",
        10: "This line has more than two values; give just the organisation name and the email.",
        11: 'The email address is not valid: \'=HYPERLINK("http://x","y")\'.',
    }
    with data() as s:
        emails = sorted(s.scalars(sa.select(Invitation.email).where(Invitation.bid_id == bid_id)))
    assert emails == ["alpha@example.org", "eta@example.org", "existing@example.org"]
    assert sorted(m.to[0] for m in outbox) == ["alpha@example.org", "eta@example.org"]


def test_uploading_the_same_file_twice_doubles_nothing(inviter, count):
    browser, bid_id = inviter
    assert "5 invited, 0 refused." in flashes(upload(browser, bid_id, csv_of(5)))
    again = upload(browser, bid_id, csv_of(6))
    assert "1 invited, 5 refused." in flashes(again)
    assert all("already invited" in reason for *_, reason in report_rows(again))
    assert count(Invitation) == 6


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The list is empty. Give one organisation name and email per line."),
        (b"\r\n  \r\n", "The list is empty. Give one organisation name and email per line."),
        (
            b"organisation name,contact email,phone\r\nAlpha Homes,alpha@example.org,0161 000 0000\r\n",
            "The column ‘phone’ is not read here. The columns are: organisation name, contact email.",
        ),
        (
            b"organisation name,homes\r\nAlpha Homes,12\r\n",
            "There is no ‘contact email’ column (the columns found are ‘organisation name’, ‘homes’).",
        ),
        (
            b"Alpha Homes,alpha@example.org,1\r\nBeta Homes,beta@example.org,2\r\n",
            "Each line needs two values: the organisation name, then the contact email, separated by a comma.",
        ),
        (b"organisation name,contact email\r\n", "The list has a header but no rows."),
        (csv_of(10_000), "The list has 10,000 rows; at most 2,000 are read at a time."),
        (csv_of(2_001), "The list has 2,001 rows; at most 2,000 are read at a time."),
        (
            b"Alpha Homes\x81,contact@sgh.example\r\n",
            "The file is neither UTF-8 nor Windows-1252 text: byte 12 (line 1) is not UTF-8, and byte 12 (line 1) "
            "is not Windows-1252. In your spreadsheet choose ‘Save as CSV UTF-8’ and upload that.",
        ),
        (
            b"PK\x03\x04\x14\x00\x00\x00\x08\x00",
            "The file looks like an XLSX workbook but could not be opened (BadZipFile). "
            "Save it again from your spreadsheet, or as CSV.",
        ),
        (b"Alpha\x00Homes,a@example.org\r\n", "The file is not a CSV text file or an XLSX workbook."),
    ],
    ids=[
        "empty",
        "blank-lines",
        "three-columns",
        "no-email-column",
        "three-values-no-header",
        "header-only",
        "10000-rows",
        "2001-rows",
        "neither-encoding",
        "broken-xlsx",
        "binary",
    ],
)
def test_whole_file_refusals_save_nothing(inviter, count, outbox, content, message):
    browser, bid_id = inviter
    response = upload(browser, bid_id, content)
    assert response.status_code == 422
    assert field_errors(response)["bulk-file"] == [message]
    assert "Traceback" not in response.text
    assert count(Invitation) == 0
    assert count(AuditEvent, AuditEvent.action.like("invitation.%")) == 0
    assert outbox == []


def test_a_file_of_only_bad_emails_invites_no_one(inviter, count, outbox):
    browser, bid_id = inviter
    response = upload(browser, bid_id, b"Alpha Homes,alpha at example\r\nBeta Homes,beta@\r\nGamma Homes,\r\n")
    assert "0 invited, 3 refused." in flashes(response)
    rows = report_rows(response)
    assert [line for line, *_ in rows] == ["1", "2", "3"]
    assert rows[0][3] == "The email address is not valid: 'alpha at example'."
    assert rows[2][3] == "Enter an email address."
    assert count(Invitation) == 0
    assert outbox == []


def test_pasted_list_errors_show_beside_the_paste_box(inviter, count):
    browser, bid_id = inviter
    response = paste(browser, bid_id, "Alpha Homes;alpha@example.org;x\nBeta Homes;beta@example.org;y\n")
    assert response.status_code == 422
    assert field_errors(response)["bulk-rows"] == [
        "Each line needs two values: the organisation name, then the contact email, separated by a comma."
    ]
    empty = paste(browser, bid_id, "   ")
    assert field_errors(empty)["bulk-rows"] == ["The list is empty. Give one organisation name and email per line."]
    assert count(Invitation) == 0


def test_excel_utf8_with_bom_and_accents(inviter, data):
    browser, bid_id = inviter
    content = "\ufefforganisation name,contact email\r\nSociété Générale Habitat,contact@sgh.example\r\n".encode()
    response = upload(browser, bid_id, content)
    assert "1 invited, 0 refused." in flashes(response)
    with data() as s:
        assert s.scalar(sa.select(Invitation.organisation_name)) == "Société Générale Habitat"


def test_semicolon_separated_file(inviter, count):
    browser, bid_id = inviter
    response = upload(browser, bid_id, b"organisation name;contact email\r\nAlpha Homes;alpha@example.org\r\n")
    assert "1 invited, 0 refused." in flashes(response)
    assert count(Invitation) == 1


def test_names_and_addresses_in_the_report_are_escaped(inviter):
    browser, bid_id = inviter
    response = upload(browser, bid_id, b'"<script>alert(1)</script>",not-valid\r\n')
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
    assert "&lt;script&gt;" in response.get_data(as_text=True)
    assert "<script>alert(1)</script>" in text_of(response)


def test_a_file_over_the_size_limit_gets_the_friendly_page(inviter, app, count):
    browser, bid_id = inviter
    response = upload(browser, bid_id, b"a" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    assert response.status_code == 413
    assert "That file or form is too large" in response.text
    assert count(Invitation) == 0


def test_columns_in_either_order_are_matched_by_header(inviter, data):
    browser, bid_id = inviter
    response = upload(browser, bid_id, b"Contact email,Organisation name\r\nalpha@example.org,Alpha Homes\r\n")
    assert "1 invited, 0 refused." in flashes(response)
    with data() as s:
        assert s.execute(sa.select(Invitation.organisation_name, Invitation.email)).all() == [
            ("Alpha Homes", "alpha@example.org")
        ]


def test_windows_1252_file_is_accepted(inviter, data):
    browser, bid_id = inviter
    content = "organisation name,contact email\r\nSociété Générale – Cymru,contact@sgh.example\r\n".encode("cp1252")
    response = upload(browser, bid_id, content)
    assert "1 invited, 0 refused." in flashes(response)
    with data() as s:
        assert s.scalar(sa.select(Invitation.organisation_name)) == "Société Générale – Cymru"


def test_xlsx_workbook_is_accepted(inviter, data, outbox):
    from openpyxl import Workbook

    browser, bid_id = inviter
    book = Workbook()
    for row in [["Organisation name", "Contact email"], ["Wheatley Housing Group, Ltd", "w@example.org"], ["Beta", 12]]:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    response = upload(browser, bid_id, out.getvalue(), filename="members.xlsx")
    assert "1 invited, 1 refused." in flashes(response)
    assert report_rows(response) == [("3", "Beta", "12", "The email address is not valid: '12'.")]
    assert [m.to[0] for m in outbox] == ["w@example.org"]
    with data() as s:
        assert s.scalar(sa.select(Invitation.organisation_name)) == "Wheatley Housing Group, Ltd"


def refused_box(response) -> str:
    box = re.search(r'<textarea[^>]*name="bulk-rows"[^>]*>(.*?)</textarea>', response.text, re.S)
    return html.unescape(box.group(1)).strip()


def test_quoted_name_with_a_comma_and_a_refused_row_offered_back_whole(inviter, data):
    browser, bid_id = inviter
    response = paste(
        browser,
        bid_id,
        '"Wheatley Housing Group, Ltd",wheatley@example.org\n'
        '"Riverside, Homes",not-an-email\nGamma,g@example.org,extra\n',
    )
    assert "1 invited, 2 refused." in flashes(response)
    with data() as s:
        assert s.scalar(sa.select(Invitation.organisation_name)) == "Wheatley Housing Group, Ltd"
    assert refused_box(response) == '"Riverside, Homes",not-an-email\nGamma,g@example.org,extra'


def test_spreadsheet_paste_under_a_typed_comma_header(inviter, data):
    browser, bid_id = inviter
    response = paste(
        browser,
        bid_id,
        "organisation name, contact email\nWheatley Housing Group, Ltd\twheatley@example.org\nBeta\tbeta\n",
    )
    assert "1 invited, 1 refused." in flashes(response)
    assert refused_box(response) == "Beta\tbeta"
    with data() as s:
        assert s.scalar(sa.select(Invitation.organisation_name)) == "Wheatley Housing Group, Ltd"


def test_one_organisation_twice_with_different_addresses_is_flagged(inviter, data):
    browser, bid_id = inviter
    response = paste(browser, bid_id, "Alpha Homes,a@alpha.example\nalpha homes,b@alpha.example\n")
    assert "2 invited, 0 refused." in flashes(response)
    assert "The same organisation as line 1, with another address: one organisation, two contacts." in text_of(response)
    with data() as s:
        entries = s.scalars(sa.select(DirectoryEntry)).all()
        assert len(entries) == 1
        assert sorted(c.email for c in entries[0].contacts) == ["a@alpha.example", "b@alpha.example"]
