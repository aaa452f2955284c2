"""The "Copy this bid" page: the link on the convenor's dashboard, the form, refusals beside the fields."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.infra import clock
from app.models import Bid, BidStatus, Invitation
from tests.factories import BidFactory, member_of, pledge_for
from tests.web.pages import field_errors, flashes


def _source(data):
    with data():
        bid = BidFactory(title="Match Fund 2026", status=BidStatus.CLOSED)
        pledge_for(member_of(bid, name="Riverside Homes"), bid)
        member_of(bid, name="Hillside Housing")
        return bid.id, bid.created_by.email


def test_the_convenor_copies_a_bid_and_invites_everyone_again(login, data, outbox):
    bid_id, email = _source(data)
    browser = login(email)
    dashboard = browser.get(f"/bids/{bid_id}")
    assert f'href="/bids/{bid_id}/copy"' in dashboard.text and "Copy this bid" in dashboard.text
    page = browser.get(f"/bids/{bid_id}/copy")
    assert page.status_code == 200 and 'value="Match Fund 2026 (copy)"' in page.text
    day = (clock.now() + timedelta(days=30)).date().isoformat()
    response = browser.post_form(
        f"/bids/{bid_id}/copy",
        {"title": "Match Fund 2027", "deadline_date": day, "deadline_time": "17:00", "invite": "invited"},
    )
    assert response.status_code == 302
    shown = browser.get(response.headers["Location"])
    assert "Copied as a draft: check it and open it when ready. 2 organisations invited." in flashes(shown)
    with data() as s:
        copy = s.scalar(sa.select(Bid).where(Bid.title == "Match Fund 2027"))
        assert copy.status == BidStatus.DRAFT
        invited = s.scalars(sa.select(Invitation.organisation_name).where(Invitation.bid_id == copy.id)).all()
    assert sorted(invited) == ["Hillside Housing", "Riverside Homes"]
    assert len(outbox) == 2


def test_a_copy_without_a_deadline_is_refused_beside_the_field_and_nothing_is_saved(login, data, outbox):
    bid_id, email = _source(data)
    browser = login(email)
    response = browser.post_form(
        f"/bids/{bid_id}/copy", {"title": "Again", "deadline_date": "", "deadline_time": "17:00", "invite": "invited"}
    )
    assert response.status_code == 422
    assert field_errors(response)["deadline_date"] == ["Enter the new bid's deadline date."]
    past = (clock.now() - timedelta(days=3)).date().isoformat()
    response = browser.post_form(
        f"/bids/{bid_id}/copy", {"title": "Again", "deadline_date": past, "deadline_time": "17:00", "invite": "invited"}
    )
    assert response.status_code == 422
    assert field_errors(response)["deadline_date"] == ["The deadline must be in the future."]
    with data() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Bid).where(Bid.title == "Again")) == 0
        assert s.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 2
    assert outbox == []
