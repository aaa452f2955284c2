"""Bid pack pages: convenors generate, compare and download versions; nobody else sees them."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Bid, BidPack, BidStatus
from app.services import letters, packs
from tests.factories import ConvenorFactory, member_of, pledge_for
from tests.locks import only_sqlite, recording_lock
from tests.packdata import outside, populated_bid, signed_in
from tests.pdfs import clean_storage

pytestmark = pytest.mark.usefixtures(clean_storage.__name__)
__all__ = ["signed_in"]


@pytest.fixture
def seen(app):
    with outside(app):
        bid, users = populated_bid(members=3, letters_for=1)
        other_bid, _users = populated_bid(members=1, letters_for=0)
        return SimpleNamespace(
            bid=bid.id,
            title=bid.title,
            other_bid=other_bid.id,
            other_bid_convenor=other_bid.created_by.email,
            convenor=bid.created_by.email,
            member=users[0].email,
            member_org=users[0].organisation_id,
            outsider=member_of(other_bid).email,
            other_convenor=ConvenorFactory().email,
        )


def generate(browser, bid_id: int):
    return browser.post_form(f"/bids/{bid_id}/packs", page=f"/bids/{bid_id}/packs")


def test_generate_download_and_compare(app, signed_in, seen):
    browser = signed_in(seen.convenor)
    page = browser.get(f"/bids/{seen.bid}/packs")
    assert page.status_code == 200 and "No bid pack yet" in page.text and "Generate version 1" in page.text
    response = generate(browser, seen.bid)
    assert response.status_code == 302
    with outside(app) as session:
        pack = session.scalar(sa.select(BidPack).where(BidPack.bid_id == seen.bid))
        files = dict(pack.files)
        pledge = letters.live_pledge(session.get(Bid, seen.bid), seen.member_org)
        pledge.amount_pence += 12_345
    for kind in ("pdf", "xlsx", "csv", "zip"):
        download = browser.get(f"/bids/{seen.bid}/packs/1/{kind}")
        assert download.status_code == 200
        name = packs.FILE_NAMES[kind]
        assert hashlib.sha256(download.data).hexdigest() == files[name]["sha256"]
        assert download.headers["Content-Disposition"].startswith("attachment; filename=")
        assert download.headers["Content-Disposition"].endswith(f"-v1-{name}")
        assert download.headers["Cache-Control"] == "private, no-store"
        assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert browser.get(f"/bids/{seen.bid}/packs/1/pdf").mimetype == "application/pdf"
    assert browser.get(f"/bids/{seen.bid}/packs/1/xlsx").mimetype.endswith("spreadsheetml.sheet")
    generate(browser, seen.bid)
    page = browser.get(f"/bids/{seen.bid}/packs").text
    assert "Version 2" in page and "What changed since version 1" in page
    assert "+£123.45" not in page  # amounts are shown before → after
    assert "amount £" in page and "→" in page
    assert browser.get(f"/bids/{seen.bid}/packs/3/pdf").status_code == 404
    with outside(app) as session:
        assert session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "pack.generated")) == 2


def test_generating_a_draft_bid_is_refused_with_a_message(app, signed_in, seen):
    with outside(app) as session:
        session.get(Bid, seen.bid).status = BidStatus.CANCELLED
    browser = signed_in(seen.convenor)
    response = browser.post_form(f"/bids/{seen.bid}/packs", page=f"/bids/{seen.bid}/packs", follow_redirects=True)
    assert "A cancelled bid has no bid pack" in response.text
    with outside(app) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(BidPack)) == 0


def test_the_dashboard_links_to_the_pack_page(signed_in, seen):
    page = signed_in(seen.convenor).get(f"/bids/{seen.bid}").text
    assert f'href="/bids/{seen.bid}/packs"' in page


@pytest.mark.parametrize("who", ["member", "outsider", "other_convenor", "other_bid_convenor"])
def test_nobody_else_sees_or_makes_packs(app, signed_in, seen, who):
    owner = signed_in(seen.convenor)
    generate(owner, seen.bid)
    browser = signed_in(getattr(seen, who))
    assert browser.get(f"/bids/{seen.bid}/packs").status_code == 404
    for kind in ("pdf", "xlsx", "csv", "zip"):
        assert browser.get(f"/bids/{seen.bid}/packs/1/{kind}").status_code == 404
    home = f"/bids/{seen.other_bid}" if who == "other_bid_convenor" else "/"
    response = browser.post_form(f"/bids/{seen.bid}/packs", page=home)
    assert response.status_code == 404
    with outside(app) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(BidPack)) == 1


def test_anonymous_is_sent_to_log_in(client, seen):
    response = client.get(f"/bids/{seen.bid}/packs/1/pdf")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_hostile_names_are_escaped_on_the_page(app, signed_in):
    with outside(app):
        bid, _users = populated_bid(names=['<img src="http://127.0.0.1:9/x.png"/> Housing'], letters_for=0)
        packs.generate_pack(bid.created_by, bid)
        newcomer = member_of(bid, name="<script>alert(1)</script> Homes")
        pledge_for(newcomer, bid, amount_pence=5_000_00)
        bid_id, email = bid.id, bid.created_by.email
    browser = signed_in(email)
    generate(browser, bid_id)
    page = browser.get(f"/bids/{bid_id}/packs").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Homes" in page
    assert "<script>alert(1)" not in page and '<img src="http://127.0.0.1:9' not in page


@only_sqlite
def test_building_the_pack_holds_no_write_lock(app, signed_in, seen, database_url, monkeypatch):
    """Issue 12, item 8: the PDF used to be built inside the write transaction, so every pledge waited."""
    free = recording_lock(monkeypatch, packs, "build_documents", database_url)
    response = generate(signed_in(seen.convenor), seen.bid)
    assert response.status_code == 302
    assert free == [True]
    with outside(app) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(BidPack).where(BidPack.bid_id == seen.bid)) == 1


def test_a_version_recorded_meanwhile_is_refused_not_overwritten(app, seen):
    with outside(app) as session:
        bid = session.get(Bid, seen.bid)
        plan = packs.prepare_pack(bid.created_by, bid)
        packs.generate_pack(bid.created_by, bid)  # another convenor's version 1 lands first
        with pytest.raises(packs.Conflict, match="generated by someone else at the same moment"):
            packs.record_pack(bid.created_by, bid, plan, packs.build_documents(plan.data, plan.letter_files))
