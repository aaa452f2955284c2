"""An update carries what one event changed, not the page: the convenor's members table as its page's order and
the rows the page may lack, the charts as data; the whole members fragment only when the page is or was empty.
And a member's partial update never carries another organisation's figures it may not see."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.live import messages, patches, render
from app.models import Bid, BidEvent, User
from app.services import pledges, snapshots
from app.services.member_table import MemberQuery
from tests.factories import member_of
from tests.live.helpers import make_scene, pledge_as


def crowd(app, bid_id: int, count: int) -> list[str]:
    with app.app_context():
        bid = db.session.get(Bid, bid_id)
        emails = [member_of(bid, name=f"Member {i:03d} Housing").email for i in range(count)]
        db.session.commit()
        db.session.remove()
    return emails


def org_of(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(User.organisation_id).where(User.email == email))


def update_for(app, bid_id: int, email: str, members: MemberQuery | None = None) -> tuple[dict, str]:
    """The update message (its data, and the raw SSE text) the latest event sends to ``email``'s audience."""
    with app.app_context(), app.test_request_context():
        bid = db.session.get(Bid, bid_id)
        user = db.session.scalar(sa.select(User).where(User.email == email))
        change = db.session.scalar(sa.select(BidEvent).order_by(BidEvent.id.desc()).limit(1))
        text = messages.build(app, bid_id, change, snapshots.audience_for(user, bid), members)
        db.session.remove()
    data = text.split("event: update\ndata: ", 1)[1].split("\n", 1)[0]
    return json.loads(data), text


def test_a_convenors_update_carries_the_pages_order_and_only_the_rows_it_may_lack(app):
    scene = make_scene(app, show_amounts=True)
    emails = crowd(app, scene.bid_id, 60)
    for i, email in enumerate(emails):
        pledge_as(app, email, scene.bid_id, 10_000_00 + i * 1_000_00)  # the last is the largest
    with app.app_context():
        before = [org_of(app, e) for e in reversed(emails)]  # by amount, largest first
    newcomer = org_of(app, scene.other)
    pledge_as(app, scene.other, scene.bid_id, 900_000_00)  # the new largest: first on page 1

    first, text = update_for(app, scene.bid_id, scene.convenor)
    table = first["table"]
    assert table["order"] == [newcomer, *before[:49]]  # the 50th row moved on to page 2
    assert set(table["rows"]) == {str(newcomer), str(before[48])}  # the new row and the page's last
    assert "Member 011 Housing" in table["rows"][str(before[48])]  # 60 - 49 = the 11th by amount is last
    assert "Total, all 61 members" in table["foot"] and "£3,270,000" in table["foot"]
    assert "Showing 1 to 50 of 61 members" in table["summary"] and "Page 1 of 2" in table["pager"]
    assert "members" not in first["fragments"] and "charts" not in first["fragments"]

    second, _ = update_for(app, scene.bid_id, scene.convenor, MemberQuery.from_args({"page": "2"}))
    assert second["table"]["order"][0] == before[49]  # pushed down from page 1: the page did not have it
    assert str(before[49]) in second["table"]["rows"] and str(newcomer) not in second["table"]["rows"]
    assert "Showing 51 to 61 of 61 members" in second["table"]["summary"]

    # Far smaller than the whole table, and than the snapshot every connection starts with.
    with app.app_context(), app.test_request_context():
        bid = db.session.get(Bid, scene.bid_id)
        snap = snapshots.snapshot(bid, snapshots.Audience(True, None, True))
        whole = json.dumps(render.payload(snap))
        drawn = render.chart_data(snap)
    assert len(text) * 3 < len(whole)
    # The chart's data is what the chart would draw.
    assert first["chart"] == patches.chart(drawn)
    assert first["chart"]["line"] == drawn["cumulative"]["path"] and "£3,270,000" in first["chart"]["desc"]


def test_a_page_that_is_or_was_empty_gets_the_whole_members_fragment(app):
    scene = make_scene(app, show_amounts=True)
    pledge_as(app, scene.riverside, scene.bid_id, 100_000_00)
    data, _ = update_for(app, scene.bid_id, scene.convenor)
    assert data["table"] is None and "Riverside Homes" in data["fragments"]["members"]

    pledge_as(app, scene.other, scene.bid_id, 50_000_00)  # two rows: a patch from here on
    data, _ = update_for(app, scene.bid_id, scene.convenor)
    assert data["table"]["order"] == [org_of(app, scene.riverside), org_of(app, scene.other)]
    assert "members" not in data["fragments"]

    searched = MemberQuery.from_args({"q": "harbour"})  # one row matches: the page may have been empty
    data, _ = update_for(app, scene.bid_id, scene.convenor, searched)
    assert data["table"] is None and "Harbour Light Homes" in data["fragments"]["members"]


@pytest.mark.parametrize("show_amounts", [False, True])
def test_a_members_partial_update_carries_no_figures_of_another_organisation_it_may_not_see(app, show_amounts):
    scene = make_scene(app, show_amounts=show_amounts)
    emails = crowd(app, scene.bid_id, 3)
    pledge_as(app, scene.riverside, scene.bid_id, 100_000_00)
    for i, email in enumerate(emails):
        pledge_as(app, email, scene.bid_id, 20_000_00 + i * 1_000_00)
    with app.app_context(), app.test_request_context():
        user = db.session.scalar(sa.select(User).where(User.email == scene.other))
        bid = db.session.get(Bid, scene.bid_id)
        values = {"amount_pence": 123_457_00, "homes": 4_321, "regions": ["NW"], "statement": "", "status": "confirmed"}
        pledges.save_pledge(user, bid, {**values, "accept_terms": True}, expected_version=None)
        db.session.commit()
        db.session.remove()

    data, text = update_for(app, scene.bid_id, scene.riverside)
    # Never the convenor's parts: the table's page, the responses or the list of who has not pledged (emails).
    assert data["table"] is None
    assert not {"responses", "waiting"} & set(data["fragments"])
    assert scene.invited not in text
    [row] = data["rows"]
    assert "Harbour Light Homes" in row["html"]
    if show_amounts:  # members may see every organisation's figures on such a bid
        assert "£123,457" in row["html"] and "4,321" in row["html"]
        return
    # Hidden amounts: the organisation's amount and homes appear nowhere, as figures, words or numbers.
    for secret in ("123457", "123,457", "1234570", "4321", "4,321"):
        assert secret not in text, secret
    assert set(data["chart"]["bars"]) == {"members"} and "money" not in data["chart"]["shape"]
    assert data["totals"]["pledged_pence"] == 100_000_00 + 20_000_00 + 21_000_00 + 22_000_00  # three others, released
