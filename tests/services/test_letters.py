"""Letters of commitment: every refusal has its own message and leaves nothing behind; uploads supersede."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, BidStatus, Letter, PledgeStatus
from app.services import letters
from app.services.errors import Conflict, NotFound, ValidationFailed
from tests.factories import BidFactory, ConvenorFactory, member_of, pledge_for
from tests.pdfs import PNG, clean_storage, html_polyglot, make_pdf, zip_polyglot

pytestmark = pytest.mark.usefixtures(clean_storage.__name__)


@pytest.fixture
def setup(ctx):
    bid = BidFactory()
    member = member_of(bid, name="Riverside Homes")
    pledge_for(member, bid)
    return bid, member


def stored_files(app) -> list[Path]:
    folder = Path(app.config["UPLOAD_DIR"]) / "letters"
    return sorted(folder.iterdir()) if folder.exists() else []


REFUSALS = [
    ("empty", b"", "letter.pdf", "The file is empty"),
    ("png named .pdf", PNG, "letter.pdf", "This file is not a PDF (it looks like a PNG image)"),
    ("html", b"<!doctype html><p>hi</p>", "letter.pdf", "This file is not a PDF (it looks like a web page)"),
    ("html before the PDF", html_polyglot(), "letter.pdf", "other content before the PDF begins"),
    ("script inside the header", make_pdf()[:9] + b"<script>x</script>" + make_pdf()[9:], "l.pdf", "web page code"),
    ("truncated", make_pdf()[:-30], "letter.pdf", "no end-of-file marker"),
    ("encrypted", make_pdf(encrypt="secret"), "letter.pdf", "password-protected or encrypted"),
    ("pdf and zip", zip_polyglot(), "letter.pdf", "both a PDF and a ZIP archive"),
    ("path climbing", make_pdf(), "../../etc/passwd.pdf", "must not contain a folder path"),
    ("windows path", make_pdf(), "C:\\Users\\me\\letter.pdf", "must not contain a folder path"),
    ("nul byte", make_pdf(), "letter\x00.pdf", "hidden control characters"),
    ("right-to-left override", make_pdf(), "letter\u202efdp.exe", "hidden control characters"),
    ("very long name", make_pdf(), "a" * 300 + ".pdf", "the limit is 150"),
    ("hidden file", make_pdf(), ".htaccess.pdf", "must not start with a dot"),
    ("no name", make_pdf(), "", "Choose the signed letter"),
]


@pytest.mark.parametrize(("content", "filename", "message"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_refusals_have_a_message_and_save_nothing(app, setup, content, filename, message):
    bid, member = setup
    with pytest.raises(ValidationFailed) as caught:
        letters.upload_letter(member, bid, content, filename)
    assert message in caught.value.errors["letter"][0]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Letter)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0
    assert stored_files(app) == []


def test_oversized_refused_with_the_limit(app, setup, monkeypatch):
    bid, member = setup
    monkeypatch.setitem(app.config, "MAX_LETTER_BYTES", 1024)
    content = make_pdf("x" * 200) + b"%" + b"0" * 2000 + b"\n%%EOF\n"
    with pytest.raises(ValidationFailed) as caught:
        letters.upload_letter(member, bid, content, "big.pdf")
    size = len(content) // 1024 + 1
    assert caught.value.errors["letter"][0].startswith(f"The file is {size} KB; the limit is 1 KB.")
    assert stored_files(app) == []


def test_upload_stores_by_digest_and_audits(app, setup):
    bid, member = setup
    content = make_pdf()
    letter = letters.upload_letter(member, bid, content, "Signed letter")
    db.session.commit()
    assert letter.filename == "Signed letter.pdf"
    assert letter.size_bytes == len(content)
    path = letters.storage_path(letter.sha256)
    assert path.read_bytes() == content
    assert path.name == f"{letter.sha256}.pdf"
    assert "static" not in path.parts
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "letter.uploaded"))
    assert event.after["sha256"] == letter.sha256 and event.actor_id == member.id


def test_replacing_supersedes_the_old_letter(app, setup):
    bid, member = setup
    first = letters.upload_letter(member, bid, make_pdf("first"), "first.pdf")
    db.session.commit()
    second = letters.upload_letter(member, bid, make_pdf("second"), "second.pdf")
    db.session.commit()
    assert first.superseded_at is not None and second.superseded_at is None
    pledge = letters.live_pledge(bid, member.organisation_id)
    assert letters.current_letter(pledge).id == second.id
    assert [letter.id for letter in letters.letters_for(member, bid)] == [second.id, first.id]
    assert db.session.scalar(sa.select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == "letter.replaced"
    assert len(stored_files(app)) == 2


def test_a_rolled_back_upload_leaves_no_file(app, setup):
    bid, member = setup
    letters.upload_letter(member, bid, make_pdf(), "letter.pdf")
    assert len(stored_files(app)) == 1
    db.session.rollback()
    assert stored_files(app) == []


def test_the_same_file_twice_is_stored_once_and_survives_a_rollback(app, setup):
    bid, member = setup
    letters.upload_letter(member, bid, make_pdf(), "letter.pdf")
    db.session.commit()
    letters.upload_letter(member, bid, make_pdf(), "again.pdf")
    db.session.rollback()
    assert len(stored_files(app)) == 1  # the committed letter's file is not removed


def test_needs_a_live_pledge(setup):
    bid, member = setup
    letters.live_pledge(bid, member.organisation_id).status = PledgeStatus.WITHDRAWN
    with pytest.raises(Conflict, match="no live pledge"):
        letters.upload_letter(member, bid, make_pdf(), "letter.pdf")


def test_submitted_bid_takes_no_more_letters(setup):
    bid, member = setup
    bid.status = BidStatus.SUBMITTED
    with pytest.raises(Conflict, match="submitted"):
        letters.upload_letter(member, bid, make_pdf(), "letter.pdf")


def test_closed_bid_still_takes_letters(setup):
    bid, member = setup
    bid.status = BidStatus.CLOSED
    assert letters.upload_letter(member, bid, make_pdf(), "letter.pdf").id


def test_outsiders_cannot_upload_or_read(setup):
    bid, member = setup
    letter = letters.upload_letter(member, bid, make_pdf(), "letter.pdf")
    other_bid = BidFactory()
    outsider = member_of(other_bid)
    other_convenor = ConvenorFactory()
    with pytest.raises(NotFound):
        letters.upload_letter(outsider, bid, make_pdf(), "letter.pdf")
    with pytest.raises(NotFound):
        letters.upload_letter(bid.created_by, bid, make_pdf(), "letter.pdf")
    for user in (outsider, other_convenor, member_of(bid)):
        assert not letters.can_read(user, bid, letter)
        with pytest.raises(NotFound):
            letters.get_letter(user, bid, letter.id)
    assert letters.can_read(member, bid, letter)
    assert letters.can_read(bid.created_by, bid, letter)
    assert not letters.can_read(member, other_bid, letter)


def test_read_content_detects_an_altered_file(app, setup):
    bid, member = setup
    letter = letters.upload_letter(member, bid, make_pdf(), "letter.pdf")
    db.session.commit()
    letters.storage_path(letter.sha256).write_bytes(make_pdf("forged"))
    with pytest.raises(NotFound, match="does not match"):
        letters.read_content(letter.sha256)


def test_size_text():
    assert letters.size_text(10 * 1024 * 1024) == "10 MB"
    assert letters.size_text(int(10.5 * 1024 * 1024)) == "10.5 MB"
    assert letters.size_text(1500) == "2 KB"


def test_download_names_are_ascii_and_safe():
    name = letters.download_name('<img src="x"> شركة 🏠 ../../etc', "ab" * 32)
    assert name == "img-src-x-etc-abababab.pdf"
    assert letters.download_name("שלום", "cd" * 32) == "organisation-cdcdcdcd.pdf"
