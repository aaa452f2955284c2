"""Letter pages: upload with a message for every refusal, private downloads, and who may see what."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.models import Letter
from app.services import letters
from tests.factories import ConvenorFactory, member_of
from tests.packdata import outside, populated_bid, signed_in
from tests.pdfs import PNG, clean_storage, make_pdf

pytestmark = pytest.mark.usefixtures(clean_storage.__name__)
__all__ = ["signed_in"]


@pytest.fixture
def seen(app):
    """A bid of two members, the first with a letter; plain values only."""
    with outside(app):
        bid, users = populated_bid(members=2, letters_for=1)
        pledge = letters.live_pledge(bid, users[0].organisation_id)
        letter = letters.current_letter(pledge)
        other_bid, _users = populated_bid(members=1, letters_for=0)
        return SimpleNamespace(
            bid=bid.id,
            other_bid=other_bid.id,
            convenor=bid.created_by.email,
            owner=users[0].email,
            owner_org=users[0].organisation.name,
            other=users[1].email,
            outsider=member_of(other_bid).email,
            other_convenor=ConvenorFactory().email,
            pledge=pledge.id,
            letter=letter.id,
            sha256=letter.sha256,
            content=letters.read_content(letter.sha256),
        )


def upload(browser, bid_id: int, content: bytes, filename: str):
    url = f"/bids/{bid_id}/letter"
    return browser.post_form(url, {"letter": (io.BytesIO(content), filename)}, content_type="multipart/form-data")


def letter_rows(app) -> list[tuple[int, bool]]:
    with outside(app) as session:
        return [(r.id, r.superseded_at is None) for r in session.scalars(sa.select(Letter).order_by(Letter.id))]


def stored(app) -> int:
    return len(list((Path(app.config["UPLOAD_DIR"]) / "letters").iterdir()))


def test_member_uploads_and_replaces(app, signed_in, seen):
    browser = signed_in(seen.owner)
    response = upload(browser, seen.bid, make_pdf("replacement"), "Board letter.pdf")
    assert response.status_code == 302
    page = browser.get(f"/bids/{seen.bid}/letter")
    assert "Board letter.pdf" in page.text and "Earlier letters" in page.text
    assert "Replace the letter" in page.text
    assert letter_rows(app) == [(seen.letter, False), (seen.letter + 1, True)]
    assert stored(app) == 2


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"", "letter.pdf", "The file is empty"),
        (PNG, "letter.pdf", "This file is not a PDF (it looks like a PNG image)"),
        (make_pdf(encrypt="pw"), "letter.pdf", "password-protected or encrypted"),
        (make_pdf(), "../../etc/passwd.pdf", "must not contain a folder path"),
        (make_pdf(), "x" * 180 + ".pdf", "the limit is 150"),
    ],
)
def test_refusals_are_shown_beside_the_field(app, signed_in, seen, content, filename, message):
    browser = signed_in(seen.other)
    response = upload(browser, seen.bid, content, filename)
    assert response.status_code == 422
    assert message in response.text
    assert 'class="error-summary"' in response.text
    assert letter_rows(app) == [(seen.letter, True)]
    assert stored(app) == 1


def test_no_file_chosen(app, signed_in, seen):
    browser = signed_in(seen.other)
    response = browser.post_form(f"/bids/{seen.bid}/letter", {}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Choose the signed letter" in response.text
    assert letter_rows(app) == [(seen.letter, True)]


def test_oversized_letter_is_refused_with_the_limit(app, signed_in, seen, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_LETTER_BYTES", 2048)
    browser = signed_in(seen.other)
    content = make_pdf() + b"%" + b"x" * 6000 + b"\n%%EOF\n"
    response = upload(browser, seen.bid, content, "big.pdf")
    assert response.status_code == 422
    assert f"The file is {letters.size_text(len(content))}; the limit is 2 KB." in response.text
    assert letters.size_text(len(content)) == "8 KB"
    assert stored(app) == 1


def test_a_request_over_max_content_length_gets_the_413_page(app, signed_in, seen, monkeypatch):
    browser = signed_in(seen.other)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    response = upload(browser, seen.bid, make_pdf() + b"%" + b"x" * 8000 + b"\n%%EOF\n", "big.pdf")
    assert response.status_code == 413
    assert "That file or form is too large" in response.text
    assert letter_rows(app) == [(seen.letter, True)]


def test_download_headers(signed_in, seen):
    response = signed_in(seen.owner).get(f"/bids/{seen.bid}/letters/{seen.letter}/download")
    assert response.status_code == 200
    assert response.data == seen.content
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition == f"attachment; filename={letters.download_name(seen.owner_org, seen.sha256)}"


def test_convenor_sees_which_pledges_have_a_letter(signed_in, seen):
    browser = signed_in(seen.convenor)
    page = browser.get(f"/bids/{seen.bid}").text
    assert f"/bids/{seen.bid}/pledges/{seen.pledge}/letter" in page
    assert page.count("tag-missing") == 1
    assert "1 of 2" in page
    response = browser.get(f"/bids/{seen.bid}/pledges/{seen.pledge}/letter")
    assert response.status_code == 200 and response.data == seen.content


def test_member_page_links_to_the_letter(signed_in, seen):
    page = signed_in(seen.other).get(f"/bids/{seen.bid}").text
    assert f'href="/bids/{seen.bid}/letter"' in page and "not uploaded yet" in page
    page = signed_in(seen.owner).get(f"/bids/{seen.bid}").text
    assert "Letter of commitment</a>: uploaded" in page


@pytest.mark.parametrize(
    ("who", "upload_page", "download"),
    [
        ("owner", 200, 200),
        ("convenor", 404, 200),
        ("other", 200, 404),
        ("outsider", 404, 404),
        ("other_convenor", 404, 404),
    ],
)
def test_permission_matrix(signed_in, seen, who, upload_page, download):
    browser = signed_in(getattr(seen, who))
    assert browser.get(f"/bids/{seen.bid}/letter").status_code == upload_page
    assert browser.get(f"/bids/{seen.bid}/letters/{seen.letter}/download").status_code == download
    assert browser.get(f"/bids/{seen.bid}/pledges/{seen.pledge}/letter").status_code == download
    # The letter under another bid's address is never found, whoever asks.
    assert browser.get(f"/bids/{seen.other_bid}/letters/{seen.letter}/download").status_code == 404


def test_anonymous_is_sent_to_log_in(client, seen):
    for url in (f"/bids/{seen.bid}/letter", f"/bids/{seen.bid}/letters/{seen.letter}/download"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert seen.content not in response.data
