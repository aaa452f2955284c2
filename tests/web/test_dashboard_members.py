"""The convenor's members table: 50 rows a page, sorted and searched by the query string (links and a GET
form, no JavaScript), the totals row over every member, bad input answered with a note (never a 500), the
live snapshot carrying the page shown, and a statement count that does not grow with the members."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from app.extensions import db
from app.infra import clock
from app.models import Organisation, OrganisationKind, Pledge, PledgeStatus
from tests.factories import BidFactory, member_of
from tests.web.pages import text_of

MEMBERS = 120
ROW = re.compile(r'<tr id="member-(\d+)" data-organisation-id="(\d+)">\s*<th scope="row" class="member-name">([^<]+)')


def rows(response) -> list[str]:
    """The organisation names of the table's rows, in order."""
    found = ROW.findall(response.get_data(as_text=True))
    assert all(a == b for a, b, _ in found)  # the row's id and its data-organisation-id name one organisation
    return [name.strip() for _, _, name in found]


def make_bid(data, members: int, prefix: str = "Member") -> tuple[int, str, dict]:
    """A bid of ``members`` pledges: Member 000 pledges £1,000, Member 001 £2,000 and so on; homes run the
    other way. Member 007's user can log in; the other organisations' pledges are rows made directly (the
    table reads pledges, not how they came). Returns the bid id, its convenor's email and {name: id}."""
    with data() as s:
        bid = BidFactory(title="Big bid", show_amounts=True)
        user = member_of(bid, name=f"{prefix} 007", email=f"{prefix.lower()}007@example.org")
        orgs = [
            user.organisation
            if i == 7
            else Organisation(
                name=f"{prefix} {i:03d}",
                name_key=Organisation.key_for(f"{prefix} {i:03d}"),
                kind=OrganisationKind.MEMBER,
                regions=["NW"],
            )
            for i in range(members)
        ]
        s.add_all(orgs)
        s.flush()
        for i, org in enumerate(orgs):
            org.identifier = f"{prefix[:2].upper()}{i:05d}"
            s.add(
                Pledge(
                    bid_id=bid.id,
                    organisation_id=org.id,
                    amount_pence=(i + 1) * 1_000_00,
                    homes=10_000 - i,
                    regions=["NW"],
                    statement="Grants.",
                    status=PledgeStatus.CONFIRMED,
                    terms_accepted_at=clock.now(),
                    created_by_id=user.id,
                    updated_by_id=user.id,
                )
            )
        s.flush()
        return bid.id, bid.created_by.email, {org.name: org.id for org in orgs}


@pytest.fixture
def big(data):
    return make_bid(data, MEMBERS)


def test_the_first_page_is_the_fifty_largest_with_the_totals_of_everyone(big, login):
    bid_id, convenor, ids = big
    page = login(convenor).get(f"/bids/{bid_id}")
    assert page.status_code == 200
    assert rows(page) == [f"Member {i:03d}" for i in range(119, 69, -1)]
    text = text_of(page)
    assert "Showing 1 to 50 of 120 members, sorted by amount, largest first." in text
    assert "Page 1 of 3" in text and 'rel="next"' in text and 'rel="prev"' not in text
    # The totals row is every member's, not the page's.
    total = sum((i + 1) * 1_000_00 for i in range(MEMBERS))
    assert re.search(r"Total, all 120 members</th>.*?£7,260,000.*?0 of 120", text, re.S), total
    assert f'data-organisation-id="{ids["Member 119"]}"' in text


def test_every_member_is_on_exactly_one_page(big, login):
    bid_id, convenor, _ = big
    browser = login(convenor)
    seen = []
    for n in (1, 2, 3):
        page = browser.get(f"/bids/{bid_id}?page={n}")
        assert f"Page {n} of 3" in text_of(page)
        seen += rows(page)
    assert len(seen) == MEMBERS and set(seen) == {f"Member {i:03d}" for i in range(MEMBERS)}
    assert "Showing 101 to 120 of 120 members" in text_of(browser.get(f"/bids/{bid_id}?page=3"))


@pytest.mark.parametrize(
    ("query", "first", "heading"),
    [
        # Sorted by name A to Z: the heading's link sorts Z to A.
        (
            "sort=name",
            ["Member 000", "Member 001"],
            'aria-sort="ascending"><a href="/bids/{id}?sort=name&amp;dir=desc#',
        ),
        ("sort=name&dir=desc", ["Member 119", "Member 118"], 'aria-sort="descending"'),
        ("sort=homes", ["Member 000", "Member 001"], 'aria-sort="descending"'),
        ("sort=amount&dir=asc", ["Member 000", "Member 001"], 'aria-sort="ascending"'),
        ("sort=updated", None, 'aria-sort="descending"'),
    ],
)
def test_sorting_by_each_column_both_ways(big, login, query, first, heading):
    bid_id, convenor, _ = big
    browser = login(convenor)
    page = browser.get(f"/bids/{bid_id}?{query}")
    assert page.status_code == 200
    names = rows(page)
    assert len(names) == 50
    if first:
        assert names[:2] == first
    html = page.get_data(as_text=True)
    assert heading.format(id=bid_id) in html
    assert html.count("aria-sort=") == 1  # only the column the table is sorted by says so
    # The pager keeps the sort: page 2 is sorted the same way and continues where page 1 stopped.
    link = re.search(r'href="(/bids/\d+\?[^"]*page=2[^"]*)" rel="next"', html).group(1).replace("&amp;", "&")
    second = browser.get(link)
    sorted_by = re.search(r"sorted by [^.]+\.", text_of(page)).group(0)
    assert sorted_by in text_of(second) and "Showing 51 to 100 of 120" in text_of(second)
    assert not set(rows(second)) & set(names)


def test_search_by_name_or_identifier_in_any_case(big, login):
    bid_id, convenor, _ = big
    browser = login(convenor)
    page = browser.get(f"/bids/{bid_id}?q=member+04")
    assert rows(page) == [f"Member {i:03d}" for i in range(49, 39, -1)]
    text = text_of(page)
    assert "Showing 1 to 10 of 10 members matching “member 04” (120 in all)" in text
    assert "Total, all 120 members" in text  # the totals row is still everyone's
    assert 'value="member 04"' in text  # the search box keeps what was typed
    assert rows(browser.get(f"/bids/{bid_id}?q=me00007")) == ["Member 007"]  # identifiers, any case
    none = text_of(browser.get(f"/bids/{bid_id}?q=50%25_off"))  # % and _ are letters, not wildcards
    assert "No member matches “50%_off”." in none and "Show every member" in none


@pytest.mark.parametrize(
    ("query", "note", "names"),
    [
        (
            "sort=postcode",
            "That sort order is not one this table offers: sorted by amount, largest first.",
            "Member 119",
        ),
        ("sort=%3Cscript%3E", "That sort order is not one this table offers", "Member 119"),
        ("page=abc", "That page number is not a whole number from 1: showing the first page.", "Member 119"),
        ("page=0", "That page number is not a whole number from 1: showing the first page.", "Member 119"),
        ("page=-2", "That page number is not a whole number from 1: showing the first page.", "Member 119"),
        ("page=99999999999999999999", "That page number is not a whole number from 1", "Member 119"),
        ("page=9", "There is no page 9: showing the last page, 3 of 3.", "Member 019"),
        ("q=" + "x" * 101, "Search: enter at most 100 characters; this search is not applied.", "Member 119"),
    ],
)
def test_bad_input_gets_a_note_and_a_sensible_page(big, login, query, note, names):
    bid_id, convenor, _ = big
    page = login(convenor).get(f"/bids/{bid_id}?{query}")
    assert page.status_code == 200
    text = text_of(page)
    assert re.search(r'<p class="flash flash-error" role="status">' + re.escape(note), text)
    assert rows(page)[0] == names


def test_an_unknown_direction_is_ignored_and_a_long_search_is_not_applied(big, login):
    bid_id, convenor, _ = big
    browser = login(convenor)
    assert rows(browser.get(f"/bids/{bid_id}?sort=name&dir=sideways"))[0] == "Member 000"
    page = browser.get(f"/bids/{bid_id}?q={'Member ' * 20}")
    assert "Showing 1 to 50 of 120 members, sorted" in text_of(page)


def test_the_live_snapshot_carries_the_page_shown(big, login):
    bid_id, convenor, _ = big
    browser = login(convenor)
    snapshot = browser.get(f"/bids/{bid_id}/live.json?sort=name&page=2").get_json()["snapshot"]
    assert snapshot["members_page"] == {
        "page": 2,
        "pages": 3,
        "per_page": 50,
        "matching": 120,
        "members": 120,
        "sort": "name",
        "dir": "asc",
        "q": "",
    }
    assert [m["organisation"] for m in snapshot["members"]] == [f"Member {i:03d}" for i in range(50, 100)]
    fragment = snapshot["fragments"]["members"]
    assert "Member 050" in fragment and "Member 049" not in fragment and "Page 2 of 3" in fragment
    assert "Total, all 120 members" in fragment


def test_the_statements_do_not_grow_with_the_members(app, data, login):
    small_id, small_convenor, _ = make_bid(data, 3)
    counted: list[str] = []

    def count(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith("BEGIN"):
            counted.append(statement)

    def statements(browser, path) -> int:
        browser.get(path)  # warm
        counted.clear()
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert browser.get(path).status_code == 200
        finally:
            with app.app_context():
                event.remove(db.engine, "before_cursor_execute", count)
        return len(counted)

    few = statements(login(small_convenor), f"/bids/{small_id}")
    many_id, many_convenor, _ = make_bid(data, 70, prefix="Other")
    many = statements(login(many_convenor), f"/bids/{many_id}")
    assert few == many, (few, many)


def test_a_member_still_sees_every_member(big, login):
    bid_id, _, _ = big
    page = login("member007@example.org").get(f"/bids/{bid_id}?page=3&sort=name")
    assert page.status_code == 200
    text = text_of(page)
    assert all(f"Member {i:03d}" in text for i in range(MEMBERS))
    assert "Page 1 of" not in text and "members-table" not in text


def test_a_small_bid_fits_on_one_page_without_a_pager(data, login):
    bid_id, convenor, _ = make_bid(data, 39)
    page = login(convenor).get(f"/bids/{bid_id}")
    assert len(rows(page)) == 39
    text = text_of(page)
    assert "Showing 1 to 39 of 39 members" in text and "Page 1 of" not in text and "Total, all 39 members" in text


def test_the_waiting_list_names_the_first_twenty_and_counts_the_rest(data, login):
    """Organisations yet to pledge: the first 20 by name on the dashboard, the number of all of them, and the
    invitations page (which lists every one) linked."""
    from app.models import Bid
    from app.services import totals
    from tests.factories import InvitationFactory

    bid_id, convenor, _ = make_bid(data, 8, prefix="Pledged")
    with data() as s:
        bid = s.get(Bid, bid_id)
        for i in range(25):
            InvitationFactory(bid=bid, organisation_name=f"Waiting {24 - i:02d}", email=f"w{i}@example.org")
    page = login(convenor).get(f"/bids/{bid_id}")
    text = text_of(page)
    shown = re.findall(r"Waiting (\d\d)", text)
    assert shown == [f"{i:02d}" for i in range(20)]  # by name, the first twenty
    assert f'And 5 more, 25 in all: <a href="/bids/{bid_id}/invitations">see every invitation</a>' in text
    with data() as s:
        waiting = totals.not_yet_pledged(s.get(Bid, bid_id), limit=30)
        assert (len(waiting.rows), waiting.total, waiting.more) == (25, 25, 0)
    everyone, its_convenor, _ = make_bid(data, 8, prefix="Other")
    with data() as s:
        none = totals.not_yet_pledged(s.get(Bid, everyone))
        assert (none.rows, none.total, bool(none)) == ([], 0, False)
    assert "Everyone invited has pledged or declined." in text_of(login(its_convenor).get(f"/bids/{everyone}"))
