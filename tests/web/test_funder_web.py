"""The funder's page: figures and downloads of one pack version through a private link, every use logged."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
import time_machine

from app.models import Bid, BidStatus, FunderLink, FunderLinkAccess
from app.money import format_pence
from app.services import funder, letters, packs
from tests.packdata import outside, populated_bid, signed_in
from tests.pdfs import clean_storage

pytestmark = pytest.mark.usefixtures(clean_storage.__name__)
__all__ = ["signed_in"]


@pytest.fixture
def seen(app):
    """A submitted bid with two pack versions and a funder link to version 1; another bid with its own link."""
    with outside(app) as session:
        bid, users = populated_bid(members=3, letters_for=2, status=BidStatus.CLOSED)
        first = packs.generate_pack(bid.created_by, bid)
        letters.live_pledge(bid, users[2].organisation_id).amount_pence += 99
        second = packs.generate_pack(bid.created_by, bid)
        bid.status = BidStatus.SUBMITTED
        session.flush()
        link, token = funder.create_link(bid.created_by, bid, name="Priya Patel", email="p@funder.example", version=1)
        other, _users = populated_bid(members=1, letters_for=1, status=BidStatus.CLOSED)
        packs.generate_pack(other.created_by, other)
        other.status = BidStatus.SUBMITTED
        _other_link, other_token = funder.create_link(other.created_by, other, name="B", email="b@funder.example")
        return SimpleNamespace(
            bid=bid.id,
            title=bid.title,
            convenor=bid.created_by.email,
            member=users[0].email,
            token=token,
            link=link.id,
            expires_at=link.expires_at,
            figures=dict(first.figures),
            files=dict(first.files),
            v2_total=second.figures["total_pence"],
            letter_files=list(first.figures["letter_files"]),
            other_title=other.title,
            other_token=other_token,
            other_letter=packs.packs_for(other.created_by, other)[0].figures["letter_files"][0]["sha256"],
        )


def accesses(app, link_id: int) -> list[str]:
    with outside(app) as session:
        return list(
            session.scalars(
                sa.select(FunderLinkAccess.what)
                .where(FunderLinkAccess.link_id == link_id)
                .order_by(FunderLinkAccess.id)
            )
        )


def test_the_page_shows_the_chosen_versions_figures_and_downloads(app, client, seen):
    response = client.get(f"/f/{seen.token}")
    assert response.status_code == 200
    page = response.text
    assert seen.title in page and "version 1" in page
    assert format_pence(seen.figures["total_pence"]) in page
    assert format_pence(seen.v2_total) not in page
    assert f"{seen.figures['homes']:,}" in page
    for kind in ("pdf", "xlsx", "csv", "zip"):
        assert f"/f/{seen.token}/files/{kind}" in page
    for entry in seen.letter_files:
        assert f"/f/{seen.token}/letters/{entry['sha256']}" in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "/bids/" not in page and seen.other_title not in page  # nothing else: no member or bid pages


def test_downloads_match_the_frozen_version_and_every_use_is_logged(app, client, seen):
    client.get(f"/f/{seen.token}")
    for kind in ("pdf", "xlsx", "csv", "zip"):
        response = client.get(f"/f/{seen.token}/files/{kind}")
        assert response.status_code == 200
        name = packs.FILE_NAMES[kind]
        assert hashlib.sha256(response.data).hexdigest() == seen.files[name]["sha256"]
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    entry = seen.letter_files[0]
    response = client.get(f"/f/{seen.token}/letters/{entry['sha256']}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert hashlib.sha256(response.data).hexdigest() == entry["sha256"]
    assert accesses(app, seen.link) == [
        "page",
        "bid-pack.pdf",
        "pledges.xlsx",
        "pledges.csv",
        "bid-pack.zip",
        entry["name"],
    ]


def test_the_convenor_sees_the_access_log(app, client, signed_in, seen):
    client.get(f"/f/{seen.token}")
    client.get(f"/f/{seen.token}/files/pdf")
    page = signed_in(seen.convenor).get(f"/bids/{seen.bid}/packs").text
    assert "Priya Patel" in page and "Opened 2 times" in page and "bid-pack.pdf" in page


def test_a_link_never_opens_another_bids_letters(app, client, seen):
    assert client.get(f"/f/{seen.token}/letters/{seen.other_letter}").status_code == 404
    assert client.get(f"/f/{seen.token}/letters/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert client.get(f"/f/{seen.token}/files/manifest").status_code == 404
    # The funder is not logged in by the link: member and convenor pages stay closed.
    response = client.get(f"/bids/{seen.bid}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get(f"/bids/{seen.bid}/packs/1/pdf").status_code == 302


def _refused(response, status: int, heading: str, seen) -> None:
    assert response.status_code == status
    assert heading in response.text
    assert seen.title not in response.text
    assert format_pence(seen.figures["total_pence"]) not in response.text
    assert b"%PDF" not in response.data


def test_tampered_links_get_a_clear_page_and_no_data(app, client, seen):
    tampered = seen.token[:-3] + ("xyz" if not seen.token.endswith("xyz") else "abc")
    for url in (f"/f/{tampered}", f"/f/{tampered}/files/pdf", "/f/not-a-token", f"/f/{tampered}/letters/{'0' * 64}"):
        _refused(client.get(url), 404, "This link is not valid", seen)
    assert accesses(app, seen.link) == []


def test_expired_links_get_410(app, client, seen):
    with time_machine.travel(seen.expires_at + timedelta(minutes=1)):
        for suffix in ("", "/files/pdf", f"/letters/{seen.letter_files[0]['sha256']}"):
            _refused(client.get(f"/f/{seen.token}{suffix}"), 410, "This link has expired", seen)
    assert accesses(app, seen.link) == []


def test_revoked_links_get_410(app, client, signed_in, seen):
    browser = signed_in(seen.convenor)
    response = browser.post_form(
        f"/bids/{seen.bid}/funder-links/{seen.link}/revoke", {"confirm": "yes"}, page=f"/bids/{seen.bid}/packs"
    )
    assert response.status_code == 302
    _refused(client.get(f"/f/{seen.token}"), 410, "This link has been withdrawn", seen)
    _refused(client.get(f"/f/{seen.token}/files/zip"), 410, "This link has been withdrawn", seen)
    assert client.get(f"/f/{seen.other_token}").status_code == 200  # other links unaffected


def test_convenor_creates_a_link_from_the_page(app, signed_in, seen):
    browser = signed_in(seen.convenor)
    page = browser.get(f"/bids/{seen.bid}/packs").text
    assert "Send the link" in page
    bad = browser.post_form(
        f"/bids/{seen.bid}/funder-links",
        {"name": "", "email": "nonsense", "version": "2"},
        page=f"/bids/{seen.bid}/packs",
    )
    assert bad.status_code == 422
    assert "Enter the name of the person at the funder." in bad.text
    good = browser.post_form(
        f"/bids/{seen.bid}/funder-links",
        {"name": "Sam Jones", "email": "sam@funder.example", "version": "2"},
        page=f"/bids/{seen.bid}/packs",
    )
    assert good.status_code == 302
    with outside(app) as session:
        link = session.scalar(sa.select(FunderLink).where(FunderLink.name == "Sam Jones"))
        assert link.pack.version == 2 and link.bid_id == seen.bid


def test_withdrawing_a_link_asks_first(app, signed_in, seen):
    browser = signed_in(seen.convenor)
    assert f'href="/bids/{seen.bid}/funder-links/{seen.link}/revoke"' in browser.get(f"/bids/{seen.bid}/packs").text
    page = browser.get(f"/bids/{seen.bid}/funder-links/{seen.link}/revoke")
    assert "Withdraw the link for Priya Patel?" in page.text
    assert "The private link sent to Priya Patel (p@funder.example) stops working at once" in page.text
    kept = browser.post_form(
        f"/bids/{seen.bid}/funder-links/{seen.link}/revoke", {"confirm": "no"}, page=f"/bids/{seen.bid}/packs"
    )
    assert kept.status_code == 302
    with outside(app) as session:
        assert session.get(FunderLink, seen.link).revoked_at is None


@pytest.mark.parametrize("who", ["member", "other_convenor"])
def test_only_the_convenor_manages_links(app, signed_in, seen, who):
    email = seen.member if who == "member" else _other_convenor(app)
    browser = signed_in(email)
    home = "/"
    assert (
        browser.post_form(
            f"/bids/{seen.bid}/funder-links/{seen.link}/revoke", {"confirm": "yes"}, page=home
        ).status_code
        == 404
    )
    assert browser.get(f"/bids/{seen.bid}/funder-links/{seen.link}/revoke").status_code == 404
    response = browser.post_form(f"/bids/{seen.bid}/funder-links", {"name": "X", "email": "x@y.org"}, page=home)
    assert response.status_code == 404
    with outside(app) as session:
        assert session.get(FunderLink, seen.link).revoked_at is None
        assert session.scalar(sa.select(sa.func.count()).select_from(FunderLink)) == 2


def _other_convenor(app) -> str:
    from tests.factories import ConvenorFactory

    with outside(app):
        return ConvenorFactory().email


def test_mark_submitted_from_the_pack_page(app, signed_in, seen):
    with outside(app) as session:
        bid, _users = populated_bid(members=1, letters_for=0, status=BidStatus.CLOSED)
        bid_id, email = bid.id, bid.created_by.email
    browser = signed_in(email)
    assert "Mark as submitted" in browser.get(f"/bids/{bid_id}/packs").text
    browser.post_form(f"/bids/{bid_id}/packs/submit", {"confirm": "yes"}, page=f"/bids/{bid_id}/packs")
    with outside(app) as session:
        assert session.get(Bid, bid_id).status == BidStatus.SUBMITTED
