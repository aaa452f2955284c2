"""Rough edges a convenor meets in the first hour: one time-left figure, the live indicator only while open, no
"pledges close at" after the deadline, the case's paragraphs, counts with their nouns, a favicon."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.infra import clock
from app.infra.files import slug
from app.live.charts import cumulative
from app.models import BidStatus
from app.text import axis_money, compact_money, london_datetime, paragraphs
from app.web.templating import counted
from tests.factories import BidFactory, member_of
from tests.web.pages import text_of


def test_times_read_the_same_everywhere():
    from datetime import UTC, datetime

    assert london_datetime(datetime(2026, 7, 14, 11, 0, tzinfo=UTC)) == "midday on Tuesday 14 July 2026"
    assert london_datetime(datetime(2026, 12, 14, 17, 0, tzinfo=UTC)) == "5pm on Monday 14 December 2026"
    assert london_datetime(datetime(2026, 12, 14, 17, 5, tzinfo=UTC)) == clock.format_uk(
        datetime(2026, 12, 14, 17, 5, tzinfo=UTC)
    )


def test_paragraphs_survive_the_browsers_line_endings():
    assert paragraphs("First para.\r\nSame para.\r\n\r\nSecond.\r\n \r\nThird.") == [
        ["First para.", "Same para."],
        ["Second."],
        ["Third."],
    ]
    assert paragraphs("") == []


def test_counts_with_their_nouns():
    assert counted(1, "letter") == "1 letter"
    assert counted(2, "letter") == "2 letters"
    assert counted(1, "letter of commitment", "letters of commitment") == "1 letter of commitment"


def test_pack_file_names_are_cut_at_a_word_boundary():
    name = slug("Celtic Nations consortium bid for the Community Match Fund 2026 round two")
    assert name == "Celtic-Nations-consortium-bid-for-the-Community-Match-Fund"
    assert slug("x" * 80) == "x" * 60  # one long word: cut at the limit


@pytest.mark.parametrize(
    ("pence", "label"),
    [(125_000_000, "£1.25m"), (11_250_000_000, "£112.5m"), (1_225_000_000, "£12.25m"), (37_500_000, "£375k")],
)
def test_axis_labels_say_their_gridlines_value(pence, label):
    assert axis_money(pence) == label
    assert compact_money(11_250_000_000) == "£112m"  # bar labels stay short; axes are exact


def test_the_web_chart_labels_each_gridline_with_its_value():
    from app.services.snapshots import Point

    start = clock.now() - timedelta(days=3)
    chart = cumulative(
        [Point(start + timedelta(days=1), 450_000_000, 3)],
        metric="pledged_pence",
        target=450_000_000,
        start=start,
        deadline=clock.now() + timedelta(days=1),
        now=clock.now(),
    )
    assert [t["label"] for t in chart["ticks_y"]] == ["£0", "£1.25m", "£2.5m", "£3.75m", "£5m"]


@pytest.fixture
def bid_with_member(data):
    with data():
        bid = BidFactory(
            title="Wording bid",
            summary="Our case, first paragraph.\r\nStill the first.\r\n\r\nThe second paragraph.",
            min_total_pence=500_000_000,
        )
        member = member_of(bid, name="Riverside Homes")
        return bid.id, bid.created_by.email, member.email


def test_one_time_left_figure_and_the_live_bar_only_while_open(login, bid_with_member, data):
    bid_id, email, _ = bid_with_member
    browser = login(email)
    page = text_of(browser.get(f"/bids/{bid_id}"))
    assert page.count(" left") == 1 and "data-live-indicator" in page
    assert "Minimum total match funding: £5,000,000 required, £0 now" in page
    with data() as s:
        from app.models import Bid

        s.get(Bid, bid_id).status = BidStatus.DRAFT
    draft = text_of(browser.get(f"/bids/{bid_id}"))
    assert "data-live-indicator" not in draft and " left<" not in draft
    assert "the total is no longer moving" not in draft
    assert "A projection appears once the bid is open" in draft


def test_after_the_deadline_no_pledges_close_at(login, bid_with_member, data):
    bid_id, _, member_email = bid_with_member
    browser = login(member_email)
    assert "Pledges close at" in text_of(browser.get(f"/bids/{bid_id}/pledge"))
    with data() as s:
        from app.models import Bid

        s.get(Bid, bid_id).deadline = clock.now() - timedelta(minutes=5)
    after = text_of(browser.get(f"/bids/{bid_id}/pledge"))
    assert "Pledges close at" not in after and "The deadline was" in after


def test_the_case_keeps_its_paragraphs_on_the_member_page(login, bid_with_member):
    bid_id, _, member_email = bid_with_member
    page = login(member_email).get(f"/bids/{bid_id}").text
    assert "<p>Our case, first paragraph.<br>Still the first.</p><p>The second paragraph.</p>" in page


def test_the_members_table_is_cards_on_a_phone(login, bid_with_member, data):
    from tests.factories import pledge_for

    bid_id, email, _ = bid_with_member
    with data() as s:
        from app.models import Bid, User

        user = s.query(User).filter_by(email=bid_with_member[2]).one()
        pledge_for(user, s.get(Bid, bid_id))
    page = login(email).get(f"/bids/{bid_id}").text
    assert 'class="table stack-on-phone members-table"' in page
    for label in ("Amount", "Homes", "Status", "Letter"):
        assert f'data-label="{label}"' in page


def test_the_activity_feed_is_reachable_by_keyboard(login, bid_with_member, data):
    from tests.factories import pledge_for

    bid_id, email, member_email = bid_with_member
    with data() as s:
        from app.models import Bid, User
        from app.services import audit

        bid = s.get(Bid, bid_id)
        pledge_for(s.query(User).filter_by(email=member_email).one(), bid)
        audit.emit(bid, "pledge.created", {"organisation": "Riverside Homes", "amount_pence": 100})
    page = login(email).get(f"/bids/{bid_id}").text
    assert 'class="feed-scroll" tabindex="0" role="region" aria-label="Latest activity, newest first"' in page


def test_a_favicon_instead_of_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.data[:4] == b"\x00\x00\x01\x00"
    assert 'rel="icon"' in client.get("/login").text
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and b"<svg" in svg.data
    svg.close()
    response.close()
