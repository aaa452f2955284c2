"""The members table's query string and its rows: what each parameter accepts, the links it makes, and one row
read alone (for replacing a single row of a page already shown)."""

from __future__ import annotations

import pytest
from flask import render_template

from app.services import member_table, totals
from app.services.member_table import MemberQuery
from tests.factories import BidFactory, member_of, pledge_for


@pytest.mark.parametrize(
    ("args", "expected", "notes"),
    [
        ({}, ("amount", True, "", 1), 0),
        ({"sort": "name"}, ("name", False, "", 1), 0),
        ({"sort": "name", "dir": "desc"}, ("name", True, "", 1), 0),
        ({"sort": "homes", "dir": "asc"}, ("homes", False, "", 1), 0),
        ({"sort": "updated", "dir": "up"}, ("updated", True, "", 1), 0),
        ({"sort": "password"}, ("amount", True, "", 1), 1),
        ({"page": "3"}, ("amount", True, "", 3), 0),
        ({"page": "3.5"}, ("amount", True, "", 1), 1),
        ({"page": "٣"}, ("amount", True, "", 1), 1),  # an Arabic-Indic three is a digit to Python, not here
        ({"page": "1" * 30}, ("amount", True, "", 1), 1),
        ({"q": "  Harbour   Light "}, ("amount", True, "Harbour Light", 1), 0),
        ({"q": "é" * 100}, ("amount", True, "é" * 100, 1), 0),
        ({"q": "é" * 101}, ("amount", True, "", 1), 1),
    ],
)
def test_the_query_string(args, expected, notes):
    query = MemberQuery.from_args(args)
    assert (query.sort, query.descending, query.q, query.page) == expected
    assert len(query.notes) == notes


def test_links_leave_out_the_defaults_and_a_heading_reverses_its_own_sort():
    assert MemberQuery().args() == {}
    query = MemberQuery.from_args({"sort": "name", "q": "homes", "page": "2"})
    assert query.args() == {"sort": "name", "q": "homes", "page": 2}
    assert query.sort_args("name") == {"sort": "name", "dir": "desc", "q": "homes"}  # back to page 1
    assert query.sort_args("amount") == {"q": "homes"}
    assert MemberQuery.from_args({"sort": "name", "dir": "desc"}).sort_args("name") == {"sort": "name"}


def test_one_row_alone_is_the_row_the_page_shows(app):
    with app.test_request_context():
        bid = BidFactory()
        user = member_of(bid, name="Harbour Light Homes")
        pledge_for(user, bid, amount_pence=250_000_00, homes=1_200)
        other = member_of(bid)
        row = member_table.row_for(bid, user.organisation_id)
        page = member_table.member_page(bid)
        assert row == next(r for r in page.rows if r.organisation_id == user.organisation_id)
        assert member_table.row_for(bid, other.organisation_id) is None  # no pledge: no row
        html = render_template("live/_member_row_convenor.html", m=row, bid=bid)
        assert f'<tr id="member-{user.organisation_id}" data-organisation-id="{user.organisation_id}">' in html
        assert "Harbour Light Homes" in html and "£250,000" in html
        fragment = render_template(
            "live/_members_convenor.html", member_page=page, members=page.rows, totals=totals.compute(bid), bid=bid
        )
        assert html.strip() in fragment


def test_the_letters_count_is_of_live_pledges_with_a_current_letter(app, ctx):
    from app.extensions import db
    from app.services import letters, pledges
    from tests.pdfs import make_pdf

    bid = BidFactory()
    users = [member_of(bid) for _ in range(4)]
    for user in users:
        pledge_for(user, bid)
    letters.upload_letter(users[0], bid, make_pdf("first"), "first.pdf")
    letters.upload_letter(users[0], bid, make_pdf("second"), "second.pdf")  # supersedes the first: one letter
    letters.upload_letter(users[1], bid, make_pdf("one"), "one.pdf")
    letters.upload_letter(users[2], bid, make_pdf("two"), "two.pdf")
    other = BidFactory()  # another bid's letter does not count
    elsewhere = member_of(other)
    pledge_for(elsewhere, other)
    letters.upload_letter(elsewhere, other, make_pdf("elsewhere"), "elsewhere.pdf")
    withdrawn = letters.live_pledge(bid, users[2].organisation_id)
    pledges.withdraw_pledge(users[2], bid, expected_version=withdrawn.version)
    db.session.flush()
    page = member_table.member_page(bid)
    assert (page.members, page.letters) == (3, 2)  # the withdrawn pledge's letter does not count
    searched = member_table.member_page(bid, MemberQuery.from_args({"q": users[1].organisation.name}))
    assert (searched.members, searched.matching, searched.letters) == (3, 1, 2)
