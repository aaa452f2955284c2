"""The convenor's audit log download (CSV): every event of the bid, oldest first, safe in a spreadsheet;
and refused access recorded once, outside any bid's own log."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from app.models import AuditEvent
from app.services import audit, bids
from tests.factories import BidFactory, ConvenorFactory, UserFactory, member_of, pledge_for


def test_the_convenor_downloads_the_whole_log_with_formulas_neutralised(data, login):
    with data() as s:
        convenor = ConvenorFactory(email="c@example.org", name='=HYPERLINK("http://evil")')
        bid = BidFactory(created_by=convenor)
        member = member_of(bid, name="+Plus Homes")
        pledge_for(member, bid)
        bids.update_bid(convenor, bid, {"title": "@SUM(A1:A9)"})
        for n in range(60):  # more than one page of the audit page
            audit.record("test.note", actor=convenor, bid=bid, after={"n": n, "text": "-1+1"})
        other = BidFactory()
        audit.record("test.elsewhere", actor=other.created_by, bid=other)
        s.flush()
        bid_id, expected = bid.id, s.scalar(sa.select(sa.func.count()).where(AuditEvent.bid_id == bid.id))
    browser = login("c@example.org")
    page = browser.get(f"/bids/{bid_id}/audit")
    assert f'href="/bids/{bid_id}/audit.csv"' in page.text

    response = browser.get(f"/bids/{bid_id}/audit.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "private, no-store"
    text = response.data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == expected > 60
    assert [int(r["id"]) for r in rows] == sorted(int(r["id"]) for r in rows)  # oldest first
    assert "test.elsewhere" not in text
    assert rows[0]["when_utc"].endswith("Z")
    for row in rows:
        for column, value in row.items():
            assert not value.startswith(("=", "+", "-", "@")), (column, value)
    updated = next(r for r in rows if r["action"] == "bid.edited")
    assert updated["actor"] == '\'=HYPERLINK("http://evil")'
    assert '"title": "@SUM(A1:A9)"' in updated["after"]


def test_only_the_convenor_may_download_it(data, login, make_browser):
    with data():
        convenor = ConvenorFactory(email="c@example.org")
        bid = BidFactory(created_by=convenor)
        member_of(bid, email="m@example.org")
        ConvenorFactory(email="other@example.org")
        bid_id = bid.id
    assert make_browser().get(f"/bids/{bid_id}/audit.csv").status_code == 302
    for email in ("m@example.org", "other@example.org"):
        assert login(email).get(f"/bids/{bid_id}/audit.csv").status_code == 404
    assert login("c@example.org").get("/bids/999999/audit.csv").status_code == 404


def test_a_refusal_is_recorded_once_with_who_what_and_status(data, login, count):
    with data():
        bid = BidFactory()
        UserFactory(email="nosy@example.org")
        bid_id = bid.id
    browser = login("nosy@example.org")
    before = count(AuditEvent)
    assert browser.get(f"/bids/{bid_id}/audit").status_code == 404
    assert browser.get("/account").status_code == 200  # not about a bid: nothing recorded
    assert count(AuditEvent) == before + 1
    with data() as s:
        event = s.scalar(sa.select(AuditEvent).order_by(AuditEvent.id.desc()))
        assert event.action == "access.refused" and event.actor.email == "nosy@example.org"
        assert event.after == {"path": f"/bids/{bid_id}/audit", "method": "GET", "status": 404}
        assert event.bid_id is None  # kept out of the bid's own log


def test_an_api_caller_refused_a_bid_is_recorded_too(data, client, count):
    from app.services import api_tokens

    with data():
        bid = BidFactory()
        outsider = UserFactory()
        token, _row = api_tokens.create_token(outsider, "script")
        bid_id, outsider_id = bid.id, outsider.id
    response = client.get(f"/api/v1/bids/{bid_id}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404
    with data() as s:
        refused = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "access.refused")).all()
        assert [(e.actor_id, e.after["status"], e.after["path"]) for e in refused] == [
            (outsider_id, 404, f"/api/v1/bids/{bid_id}")
        ]
