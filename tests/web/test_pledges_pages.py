"""Pledge pages: make, refuse, receipt and email, amend with history, withdraw, stale forms, the deadline."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.infra import clock
from app.models import AuditEvent, Bid, Pledge, PledgeRevision, PledgeStatus
from app.pledges import routes as pledge_routes
from tests.factories import BidFactory, UserFactory, member_of
from tests.locks import only_sqlite, recording_lock
from tests.web.pages import csrf_token, field_errors, text_of

VERSION = re.compile(r'name="version" type="hidden" value="(\d*)"')


@pytest.fixture
def world(data):
    """An open bid with a £10,000 minimum and one member: (bid_id, member_email, convenor_email)."""
    with data():
        bid = BidFactory(title="Match Fund bid", min_pledge_pence=1_000_000)
        user = member_of(bid, name="Northern Homes", email="chief@northern.example")
        return bid.id, user.email, bid.created_by.email


class PledgeForm:
    """The pledge form as one browser opened it: its CSRF token and version, submitted later."""

    def __init__(self, browser, bid_id):
        self.browser, self.url = browser, f"/bids/{bid_id}/pledge"
        page = browser.get(self.url)
        assert page.status_code == 200, page.status_code
        self.token = csrf_token(page)
        self.version = VERSION.search(page.text).group(1)

    def submit(self, **changes):
        values = {
            "amount": "£250,000",
            "homes": "12,400",
            "regions": ["NW", "YH"],
            "statement": "Grants for community groups in Salford and Leeds.",
            "status": "confirmed",
            "accept_terms": "y",
            "version": self.version,
            "csrf_token": self.token,
        }
        values.update(changes)
        return self.browser.client.post(self.url, data={k: v for k, v in values.items() if v is not None})


def pledge(browser, bid_id, **changes):
    return PledgeForm(browser, bid_id).submit(**changes)


def _pledge(data, bid_id):
    with data() as s:
        row = s.scalar(sa.select(Pledge).where(Pledge.bid_id == bid_id))
        if row is not None:
            s.expunge(row)
        return row


def _revisions(data, bid_id):
    with data() as s:
        rows = s.scalars(sa.select(PledgeRevision).where(PledgeRevision.bid_id == bid_id).order_by(PledgeRevision.id))
        return [(r.version, r.action, r.before, r.after) for r in rows]


@pytest.mark.parametrize(
    ("typed", "pence"),
    [("£250,000", 25_000_000), ("1250000", 125_000_000), ("1,250,000.50", 125_000_050), (" £ 10,000.5 ", 1_000_050)],
)
def test_pledge_amounts_typed_the_uk_way(world, login, data, outbox, typed, pence):
    bid_id, email, _ = world
    browser = login(email)
    response = pledge(browser, bid_id, amount=typed)
    assert response.status_code == 302
    saved = _pledge(data, bid_id)
    assert (saved.amount_pence, saved.homes, saved.regions, saved.status) == (
        pence,
        12_400,
        ["NW", "YH"],
        PledgeStatus.CONFIRMED,
    )
    assert response.headers["Location"] == f"/bids/{bid_id}/pledges/{saved.id}/receipt"
    receipt = browser.get(response.headers["Location"])
    assert receipt.status_code == 200
    from app.money import format_pence

    assert f"{format_pence(pence)} covering 12,400 homes" in receipt.text
    assert "North West, Yorkshire and The Humber" in receipt.text
    [message] = outbox
    assert message.to == [email]
    assert message.subject == "Your pledge to Match Fund bid"
    assert f"Amount: {format_pence(pence)}" in message.body
    assert "Homes covered: 12,400" in message.body
    assert _revisions(data, bid_id)[0][:2] == (1, "created")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "-250,000"}, "amount", "The amount cannot be negative."),
        ({"amount": "250000.123"}, "amount", "Use at most two decimal places (pence)."),
        ({"amount": "0"}, "amount", "The amount must be more than £0."),
        ({"amount": "£0.00"}, "amount", "The amount must be more than £0."),
        ({"amount": "£5,000"}, "amount", "The minimum pledge for this bid is £10,000."),
        ({"amount": "£9,999.99"}, "amount", "The minimum pledge for this bid is £10,000."),
        (
            {"amount": "£20,000,000,000"},
            "amount",
            "That amount is too large: the most one figure can hold is £10,000,000,000.",
        ),
        ({"amount": "a lot"}, "amount", "Enter the amount as a number of pounds, for example £250,000 or 250000.50."),
        ({"amount": ""}, "amount", "Enter an amount in pounds, for example £250,000."),
        ({"homes": "-5"}, "homes", "The number of homes cannot be negative."),
        ({"homes": "lots"}, "homes", "Enter the number of homes as a whole number, for example 12400."),
        ({"homes": "12.5"}, "homes", "Enter the number of homes as a whole number, for example 12400."),
        ({"homes": ""}, "homes", "Enter the number of homes as a whole number, for example 12400."),
        ({"homes": "20000000"}, "homes", "That is more homes than any organisation owns."),
        ({"regions": None}, "regions", "Choose at least one region the pledge covers."),
        ({"regions": ["Atlantis"]}, "regions", "Choose regions from the list."),
        (
            {"statement": "x" * 5001},
            "statement",
            "The statement must be 5,000 characters or fewer (it has 5,001).",
        ),
        ({"accept_terms": None}, "accept_terms", "You must accept the bid's terms to pledge."),
        ({"status": None}, "status", "Say whether the pledge is indicative or confirmed."),
        ({"status": "withdrawn"}, "status", "Not a valid choice."),
    ],
)
def test_pledge_refusals_each_with_its_message_and_nothing_saved(world, login, count, outbox, changes, field, message):
    bid_id, email, _ = world
    response = pledge(login(email), bid_id, **changes)
    assert response.status_code == 422
    assert field_errors(response).get(field) == [message], field_errors(response)
    assert count(Pledge) == 0
    assert count(PledgeRevision) == 0
    assert count(AuditEvent, AuditEvent.action.like("pledge.%")) == 0
    assert outbox == []


def test_a_refused_amendment_leaves_the_pledge_as_it_was(world, login, data, count):
    bid_id, email, _ = world
    browser = login(email)
    assert pledge(browser, bid_id).status_code == 302
    response = pledge(browser, bid_id, amount="£1.001")
    assert response.status_code == 422
    assert _pledge(data, bid_id).amount_pence == 25_000_000
    assert count(PledgeRevision) == 1
    assert count(AuditEvent, AuditEvent.action.like("pledge.%")) == 1


def test_amend_records_a_revision_visible_to_the_organisation_and_the_convenor(world, login, data):
    bid_id, email, convenor = world
    with data() as s:
        colleague = UserFactory(organisation=_org_of(s, email), email="deputy@northern.example").email
    browser = login(email)
    pledge(browser, bid_id, status="indicative")
    response = pledge(browser, bid_id, amount="£300,000", homes="13,000", status="confirmed")
    assert response.status_code == 302
    revisions = _revisions(data, bid_id)
    assert [(v, a) for v, a, _, _ in revisions] == [(1, "created"), (2, "confirmed")]
    _, _, before, after = revisions[1]
    assert (before["amount_pence"], after["amount_pence"]) == (25_000_000, 30_000_000)
    assert (before["homes"], after["homes"], before["status"], after["status"]) == (
        12_400,
        13_000,
        "indicative",
        "confirmed",
    )
    pledge_id = _pledge(data, bid_id).id
    for who in (email, colleague, convenor):
        page = login(who).get(f"/bids/{bid_id}/pledges/{pledge_id}/history")
        assert page.status_code == 200, who
        assert "Pledge history: Northern Homes" in page.text
        assert "<del>£250,000</del> £300,000" in page.text
        assert "<del>12,400</del> 13,000" in page.text


def _org_of(session, email):
    from app.models import User

    return session.scalar(sa.select(User).where(User.email == email)).organisation


def test_saving_the_same_values_again_adds_no_revision(world, login, data):
    bid_id, email, _ = world
    browser = login(email)
    pledge(browser, bid_id)
    assert pledge(browser, bid_id).status_code == 302
    assert len(_revisions(data, bid_id)) == 1


def test_withdraw_then_pledge_again(world, login, data, outbox):
    bid_id, email, _ = world
    browser = login(email)
    pledge(browser, bid_id)
    form = PledgeForm(browser, bid_id)
    assert "Withdraw the pledge" in browser.get(form.url).text
    response = browser.client.post(
        f"/bids/{bid_id}/pledge/withdraw", data={"csrf_token": form.token, "version": form.version, "confirm": "yes"}
    )
    assert response.status_code == 302
    page = browser.get(f"/bids/{bid_id}")
    assert "Your pledge is withdrawn. You can pledge again until the deadline." in page.text
    assert "Pledge again" in page.text
    assert _pledge(data, bid_id).status == PledgeStatus.WITHDRAWN
    assert outbox[-1].subject == "Your pledge to Match Fund bid is withdrawn"

    assert pledge(browser, bid_id, amount="£200,000").status_code == 302
    again = _pledge(data, bid_id)
    assert (again.status, again.amount_pence) == (PledgeStatus.CONFIRMED, 20_000_000)
    assert [a for _, a, _, _ in _revisions(data, bid_id)] == ["created", "withdrawn", "reinstated"]
    with data() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Pledge)) == 1  # one row per organisation


def test_withdraw_from_a_stale_page_is_refused(world, login, data):
    bid_id, email, _ = world
    browser = login(email)
    pledge(browser, bid_id)
    stale = PledgeForm(browser, bid_id)
    pledge(browser, bid_id, amount="£260,000")
    response = browser.client.post(
        f"/bids/{bid_id}/pledge/withdraw", data={"csrf_token": stale.token, "version": stale.version, "confirm": "yes"}
    )
    assert response.status_code == 302
    assert "changed this pledge after you opened the form" in text_of(browser.get(response.headers["Location"]))
    assert _pledge(data, bid_id).status == PledgeStatus.CONFIRMED


@pytest.mark.parametrize("existing", [False, True], ids=["first-pledge", "amendment"])
def test_a_stale_form_gets_a_conflict_page_and_overwrites_nothing(world, login, data, count, existing):
    bid_id, email, _ = world
    with data() as s:
        colleague = UserFactory(organisation=_org_of(s, email), email="deputy@northern.example", name="Dee Puty")
        colleague = colleague.email
    first, second = login(email), login(colleague)
    if existing:
        pledge(first, bid_id)
    mine, theirs = PledgeForm(first, bid_id), PledgeForm(second, bid_id)
    assert theirs.submit(amount="£400,000", homes="20,000").status_code == 302
    response = mine.submit(amount="£999,000")
    assert response.status_code == 409
    text = text_of(response)
    assert "Your pledge was changed by Dee Puty" in text
    saved = _pledge(data, bid_id)
    assert f"It was changed at {clock.format_uk(saved.updated_at)} by Dee Puty." in text
    # The fields hold the saved values, so clicking again cannot overwrite them; what was typed is beside them.
    assert 'name="amount" type="text" value="400,000"' in response.text or 'value="400,000"' in response.text
    assert 'value="999,000"' not in response.text
    assert "<dt>You typed</dt>" in text.replace(' class="compare-title"', "") and "£999,000" in text
    assert 'name="accept_terms" type="checkbox" value="y">' in response.text  # not ticked for them
    assert saved.amount_pence == 40_000_000
    assert count(PledgeRevision) == (2 if existing else 1)
    # The conflict page carries the new version: submitting it again now works.
    retry = VERSION.search(response.text).group(1)
    mine.version = retry
    assert mine.submit(amount="£999,000").status_code == 302
    assert _pledge(data, bid_id).amount_pence == 99_900_000


def test_a_change_made_in_another_tab_says_so(world, login, data):
    bid_id, email, _ = world
    browser = login(email)
    pledge(browser, bid_id)
    old_tab, new_tab = PledgeForm(browser, bid_id), PledgeForm(browser, bid_id)
    assert new_tab.submit(amount="£300,000").status_code == 302
    response = old_tab.submit(amount="£350,000")
    text = text_of(response)
    assert response.status_code == 409
    assert "You changed this pledge in another tab" in text
    assert "by you, in another tab or window." in text
    assert "someone else" not in text


def test_a_first_pledge_starts_with_the_profile_regions_ticked(world, login, data):
    bid_id, email, _ = world
    with data() as s:
        _org_of(s, email).regions = ["NE", "WAL"]
    page = login(email).get(f"/bids/{bid_id}/pledge").text
    ticked = set(re.findall(r'<input checked id="regions-\d+" name="regions" type="checkbox" value="(\w+)">', page))
    assert ticked == {"NE", "WAL"}


@pytest.fixture
def deadline_world(data):
    deadline = datetime(2027, 6, 30, 16, 0, tzinfo=UTC)  # 5pm in London
    with time_machine.travel(deadline - timedelta(days=1), tick=False), data():
        bid = BidFactory(deadline=deadline)
        email = member_of(bid).email
        return bid.id, email, deadline


def test_the_second_before_the_deadline_still_saves(deadline_world, login, data):
    bid_id, email, deadline = deadline_world
    with time_machine.travel(deadline - timedelta(seconds=1), tick=False):
        assert pledge(login(email), bid_id).status_code == 302
    assert _pledge(data, bid_id) is not None


@pytest.mark.parametrize("after", [timedelta(0), timedelta(seconds=1), timedelta(minutes=30)])
def test_after_the_deadline_the_clock_refuses_even_though_the_bid_is_still_open(
    deadline_world, login, data, count, outbox, after
):
    bid_id, email, deadline = deadline_world
    with time_machine.travel(deadline - timedelta(minutes=5), tick=False) as traveller:
        browser = login(email)
        form = PledgeForm(browser, bid_id)
        traveller.move_to(deadline + after)
        response = form.submit()
        page = browser.get(f"/bids/{bid_id}")
        closed_form = browser.get(f"/bids/{bid_id}/pledge")
    assert response.status_code == 409
    assert "The deadline passed at 5pm on Wednesday 30 June 2027: pledges can no longer be made or changed." in text_of(
        response
    )
    assert count(Pledge) == 0
    assert outbox == []
    with data() as s:
        assert s.get(Bid, bid_id).status == "open"  # no job has run: the clock alone refused
    assert "This bid is no longer taking pledges." in page.text
    assert "Make the pledge" not in closed_form.text


def test_after_the_deadline_withdrawal_is_refused_too(deadline_world, login, data):
    bid_id, email, deadline = deadline_world
    with time_machine.travel(deadline - timedelta(minutes=5), tick=False) as traveller:
        browser = login(email)
        pledge(browser, bid_id)
        form = PledgeForm(browser, bid_id)
        traveller.move_to(deadline + timedelta(seconds=1))
        response = browser.client.post(
            f"/bids/{bid_id}/pledge/withdraw",
            data={"csrf_token": form.token, "version": form.version, "confirm": "yes"},
        )
        landing = browser.get(response.headers["Location"])
    assert "The deadline passed at" in text_of(landing)
    assert _pledge(data, bid_id).status == PledgeStatus.CONFIRMED


def test_grace_window_lets_those_who_started_finish(data, login):
    deadline = datetime(2027, 6, 30, 16, 0, tzinfo=UTC)
    with time_machine.travel(deadline - timedelta(hours=1), tick=False) as traveller:
        with data():
            bid = BidFactory(deadline=deadline, grace_minutes=15)
            early, late = member_of(bid).email, member_of(bid).email
            bid_id = bid.id
        early_browser, late_browser = login(early), login(late)
        pledge(early_browser, bid_id)
        late_form = PledgeForm(late_browser, bid_id)
        traveller.move_to(deadline + timedelta(minutes=10))
        assert pledge(early_browser, bid_id, amount="£260,000").status_code == 302
        assert late_form.submit().status_code == 409
        traveller.move_to(deadline + timedelta(minutes=14))
        in_grace = PledgeForm(early_browser, bid_id)
        traveller.move_to(deadline + timedelta(minutes=15))
        response = in_grace.submit(amount="£270,000")
        assert response.status_code == 409
        assert "The deadline passed at 5pm on Wednesday 30 June 2027" in text_of(response)
    with data() as s:
        amounts = s.scalars(sa.select(Pledge.amount_pence).where(Pledge.bid_id == bid_id)).all()
    assert amounts == [26_000_000]


def test_an_amendment_reads_the_user_the_bid_and_the_pledge_once_each(app, world, login, data):
    """The bid and the organisation's membership of it come in one statement; nothing is read twice."""
    from sqlalchemy import event

    from app.extensions import db

    bid_id, email, _ = world
    browser = login(email)
    pledge(browser, bid_id)
    form = PledgeForm(browser, bid_id)
    reads: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT") and "FROM" in statement:  # not PostgreSQL's event lock
            reads.append(statement.rsplit("FROM", 1)[1].split()[0])  # the outermost FROM comes last

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert form.submit(amount="£260,000").status_code == 302
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", count)
    assert reads == ["users", "bids", "pledges"], reads
    assert _pledge(data, bid_id).amount_pence == 26_000_000


def test_convenor_cannot_pledge(world, login):
    bid_id, _, convenor = world
    assert login(convenor).get(f"/bids/{bid_id}/pledge").status_code == 404


def test_a_mangled_form_version_says_to_reload(world, login, count):
    bid_id, email, _ = world
    form = PledgeForm(login(email), bid_id)
    form.version = "not-a-number"
    response = form.submit()
    assert response.status_code == 422
    assert "The form is out of date. Reload the page and try again." in text_of(response)
    assert count(Pledge) == 0


def test_every_problem_is_listed_at_once(world, login, count):
    bid_id, email, _ = world
    response = pledge(login(email), bid_id, amount="abc", regions=None, accept_terms=None, statement="x" * 5001)
    assert response.status_code == 422
    errors = field_errors(response)
    assert errors["amount"] == ["Enter the amount as a number of pounds, for example £250,000 or 250000.50."]
    assert errors["regions"] == ["Choose at least one region the pledge covers."]
    assert errors["accept_terms"] == ["You must accept the bid's terms to pledge."]
    assert errors["statement"] == ["The statement must be 5,000 characters or fewer (it has 5,001)."]
    assert count(Pledge) == 0


def test_receipt_of_a_withdrawn_pledge_sends_the_member_to_the_bid_page(app, browser):
    from app.extensions import db
    from app.services import pledges as pledge_service
    from tests.factories import BidFactory, member_of

    with app.app_context():
        bid = BidFactory()
        member = member_of(bid)
        pledge = pledge_service.save_pledge(
            member,
            bid,
            {
                "amount_pence": 25_000_000,
                "homes": 10,
                "regions": ["NW"],
                "statement": "",
                "status": "indicative",
                "accept_terms": True,
            },
            expected_version=0,
        )
        pledge_service.withdraw_pledge(member, bid, expected_version=1)
        db.session.commit()
        bid_id, pledge_id, email = bid.id, pledge.id, member.email
    browser.login(email)
    response = browser.get(f"/bids/{bid_id}/pledges/{pledge_id}/receipt")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/bids/{bid_id}")
    assert "Your pledge was withdrawn" in browser.get(f"/bids/{bid_id}").text


@only_sqlite
@pytest.mark.parametrize("late", [False, True])
def test_a_refused_pledge_renders_its_page_without_holding_the_write_lock(
    deadline_world, login, data, database_url, monkeypatch, late
):
    """Issue 12, item 8: in a rush every refused write re-rendered the form while holding SQLite's write lock."""
    bid_id, email, deadline = deadline_world
    with time_machine.travel(deadline - timedelta(minutes=5), tick=False) as traveller:
        form = PledgeForm(login(email), bid_id)
        free = recording_lock(monkeypatch, pledge_routes, "render_template", database_url)
        if late:
            traveller.move_to(deadline + timedelta(seconds=1))
            response = form.submit()
        else:
            response = form.submit(amount="not money")
    assert response.status_code == (409 if late else 422)
    assert free == [True]
