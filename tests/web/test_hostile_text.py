"""Hostile text everywhere text is shown: an organisation name, a bid title and a pledge statement carrying
HTML/JS, reportlab markup, a right-to-left override, zero-width characters or a spreadsheet formula are
escaped in every page, in emails, in the CSV/XLSX and shown literally in the PDF; 100 KB strings are
refused with a length message; NUL bytes never reach the database; line breaks never reach a subject."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa
from markupsafe import escape
from openpyxl import load_workbook
from pypdf import PdfReader

from app.extensions import db
from app.models import BidStatus, EmailMessage, OrganisationKind
from app.notifications import render
from app.services import bids, funder, invitations, packs, pledges, users
from app.services.errors import ValidationFailed
from tests.factories import BidFactory, ConvenorFactory, member_of
from tests.pdfs import clean_storage

pytestmark = pytest.mark.usefixtures(clean_storage.__name__)

PAYLOADS = {
    "script": "<script>alert(1)</script>",
    "attribute": '"><img src=x onerror=alert(1)>',
    "reportlab": '<para><font color="red">Red</font></para>',
    "rtl": "Homes \u202eevil.exe",
    "zero-width": "Zero\u200bWidth\u200dHomes",
    "formula": '=HYPERLINK("http://evil.example","click")',
}
#: The part of each payload that would be live markup if it were not escaped.
LIVE = {"script": "<script>", "attribute": "<img src=x", "reportlab": "<para>"}


@pytest.fixture(params=sorted(PAYLOADS))
def world(request, data):
    """A bid whose title, member organisation name and pledge statement are all the payload, with a pack,
    a funder link and the emails all that sends."""
    kind = request.param
    payload = PAYLOADS[kind]
    with data():
        convenor = ConvenorFactory(email="c@example.org")
        bid = BidFactory(created_by=convenor, title=payload)
        member = member_of(bid, name=payload, email="m@example.org")
        pledge = pledges.save_pledge(
            member,
            bid,
            {
                "amount_pence": 25_000_001,
                "homes": 10,
                "regions": ["NW"],
                "statement": payload,
                "status": "confirmed",
                "accept_terms": True,
            },
            expected_version=None,
        )
        # A bidi override is refused when a name is typed now (test_one_line_fields_refuse_...); the member
        # organisation's name above stands for a row stored before that rule.
        invitations.invite(convenor, bid, "New " + payload if kind != "rtl" else "New Homes", "new@example.org")
        pack = packs.generate_pack(convenor, bid)
        bid.status = BidStatus.SUBMITTED
        _link, token = funder.create_link(convenor, bid, name=payload[:100], email="f@funder.example.org")
        ids = {"bid": bid.id, "pledge": pledge.id, "pack": pack.id, "token": token}
    return kind, payload, ids


def _pages(login, make_browser, ids) -> dict[str, str]:
    convenor, member, visitor = login("c@example.org"), login("m@example.org"), make_browser()
    bid, pledge = ids["bid"], ids["pledge"]
    wanted = {
        "bid list": (convenor, "/"),
        "dashboard": (convenor, f"/bids/{bid}"),
        "invitations": (convenor, f"/bids/{bid}/invitations"),
        "audit": (convenor, f"/bids/{bid}/audit"),
        "history": (convenor, f"/bids/{bid}/pledges/{pledge}/history"),
        "member page": (member, f"/bids/{bid}"),
        "pledge form": (member, f"/bids/{bid}/pledge"),
        "funder page": (visitor, f"/f/{ids['token']}"),
    }
    pages = {}
    for name, (browser, url) in wanted.items():
        response = browser.get(url, follow_redirects=True)
        assert response.status_code == 200, (name, response.status_code)
        pages[name] = response.get_data(as_text=True)
    return pages


def test_pages_escape_it(world, login, make_browser):
    kind, payload, ids = world
    for name, html in _pages(login, make_browser, ids).items():
        if kind in LIVE:
            assert LIVE[kind] not in html, name
        assert str(escape(payload)) in html, f"{name} does not show the text as typed"


def test_emails_escape_it_and_subjects_are_one_line(world, data):
    kind, payload, _ids = world
    with data() as s:
        messages = s.scalars(sa.select(EmailMessage)).all()
        assert {m.kind for m in messages} >= {"pledge_receipt", "invitation", "funder_link"}
        for message in messages:
            assert "\n" not in message.subject and "\r" not in message.subject
            if kind in LIVE:
                assert LIVE[kind] not in message.body_html, message.kind
        assert any(str(escape(payload)) in m.body_html for m in messages)


def _pack_file(data, ids, kind: str) -> bytes:
    with data() as s:
        from app.models import BidPack

        return packs.read_file(s.get(BidPack, ids["pack"]), kind)


def test_spreadsheets_neutralise_formulas_and_keep_the_text(world, data):
    kind, payload, ids = world
    rows = list(csv.reader(io.StringIO(_pack_file(data, ids, "csv").decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    expected = "'" + payload if kind == "formula" else payload
    assert expected in cells  # the organisation name, as typed (a formula made plain text)
    assert not any(cell.startswith("=") for cell in cells)
    book = load_workbook(io.BytesIO(_pack_file(data, ids, "xlsx")))
    values = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(c.value in (payload, expected) for c in values)
    assert not [c.coordinate for c in values if c.data_type == "f"]


def test_the_pdf_shows_the_text_literally(world, data):
    kind, payload, ids = world
    reader = PdfReader(io.BytesIO(_pack_file(data, ids, "pdf")))
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
    # Invisible and direction-changing characters are dropped for print; everything else is literal.
    visible = re.sub(r"\s+", "", re.sub("[\u200b-\u200f\u202a-\u202e\u2066-\u2069]", "", payload))
    assert visible in text, kind


# --- sizes, NUL bytes and line breaks, at the services every form and the API go through ------------------

BIG = "x" * 100_000


def _bid_values(**change):
    from datetime import timedelta

    from app.infra import clock

    values = {
        "title": "Bid",
        "funder_name": "Funder",
        "scheme": "Scheme",
        "target_pence": 600_000_000,
        "target_homes": 1_000_000,
        "deadline": clock.now() + timedelta(days=10),
    }
    return {**values, **change}


@pytest.mark.parametrize(
    ("call", "field", "message"),
    [
        (lambda c, b, m: bids.create_bid(c, _bid_values(title=BIG)), "title", "200 characters or fewer"),
        (lambda c, b, m: bids.create_bid(c, _bid_values(summary=BIG)), "summary", "characters or fewer"),
        (
            lambda c, b, m: pledges.save_pledge(
                m,
                b,
                {
                    "amount_pence": 1,
                    "homes": 1,
                    "regions": ["NW"],
                    "statement": BIG,
                    "status": "confirmed",
                    "accept_terms": True,
                },
                expected_version=None,
            ),
            "statement",
            "5,000 characters or fewer",
        ),
        (
            lambda c, b, m: users.create_organisation(_org(BIG), OrganisationKind.MEMBER),
            "name",
            "200 characters or fewer",
        ),
    ],
    ids=["bid title", "bid summary", "pledge statement", "organisation name"],
)
def test_100_kb_strings_are_refused_with_a_length_message(ctx, call, field, message):
    bid = BidFactory()
    member = member_of(bid)
    with pytest.raises(ValidationFailed) as refused:
        call(bid.created_by, bid, member)
    assert any(message in m for m in refused.value.errors[field])


def _org(name):
    errors: dict = {}
    clean = users.organisation_values({"name": name}, errors)
    if errors:
        raise ValidationFailed(errors)
    return clean


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"title": "Spring\x00 bid"}, "title", "The title holds a control character (U+0000); remove it."),
        (
            {"title": "Spring bid\r\nBcc: victim@example.org"},
            "title",
            "The title must be on one line: remove the line break.",
        ),
        ({"scheme": "A\tB"}, "scheme", "The scheme name holds a control character (U+0009); remove it."),
        (
            {"scheme": "A\u202eB"},
            "scheme",
            "The scheme name holds an invisible text-direction control (U+202E) that can make it read backwards; "
            "remove it.",
        ),
        ({"funder_name": "Fund\u2066er"}, "funder_name", "invisible text-direction control (U+2066)"),
        ({"funder_name": "Fund\u2028er"}, "funder_name", "must be on one line"),
    ],
)
def test_one_line_fields_refuse_nul_bytes_line_breaks_and_bidi_controls(ctx, values, field, message):
    convenor = ConvenorFactory()
    with pytest.raises(ValidationFailed) as refused:
        bids.create_bid(convenor, _bid_values(**values), open_now=True)
    assert any(message in m for m in refused.value.errors[field]), refused.value.errors


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Nul\x00 Homes", "holds a control character (U+0000)"),
        ("Homes\nLtd", "must be on one line"),
        ("Homes\u202eLtd", "invisible text-direction control (U+202E)"),
    ],
)
def test_organisation_names_refuse_them_too(ctx, name, message):
    with pytest.raises(ValidationFailed) as refused:
        _org(name)
    assert message in refused.value.errors["name"][0]


def test_nul_bytes_never_reach_the_database_and_line_breaks_never_reach_a_subject(ctx):
    convenor = ConvenorFactory()
    bid = bids.create_bid(convenor, _bid_values(title="Spring   bid ", scheme="A B"), open_now=True)
    assert bid.title == "Spring bid" and bid.scheme == "A B"
    member = member_of(bid)
    pledge = pledges.save_pledge(
        member,
        bid,
        {
            "amount_pence": 1,
            "homes": 1,
            "regions": ["NW"],
            "statement": "a\x00b",
            "status": "confirmed",
            "accept_terms": True,
        },
        expected_version=None,
    )
    db.session.commit()  # PostgreSQL refuses NUL in text: reaching here means none was sent
    assert pledge.statement == "ab"
    message = render(
        "a@example.org",
        "pledge_receipt",
        "To\r\nBcc: x@example.org\u2028y",
        bid=bid,
        pledge=pledge,
        user=member,
        action="created",
    )
    # Line breaks become spaces; the bid's title is added, as to every subject that does not name its bid.
    assert message.subject == f"To Bcc: x@example.org y – {bid.title}"
