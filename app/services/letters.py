"""Letters of commitment: a member uploads a signed PDF for its organisation's pledge; the newest is current.

Raises ValidationFailed (the file or its name is refused; the message is under ``letter``), NotFound
(no such bid, pledge or letter for this user) and Conflict (no live pledge, or the bid no longer takes letters).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.infra import clock, files, storage
from app.models import Bid, BidStatus, Letter, Pledge, User
from app.services import audit
from app.services.access import is_bid_convenor, is_bid_member
from app.services.errors import Conflict, NotFound, ValidationFailed

MAX_FILENAME = 150
#: Statuses in which a member may still upload or replace a letter (letters often follow the deadline).
ACCEPTING = (BidStatus.OPEN, BidStatus.CLOSED)

# Signatures of the files people most often pick by mistake, to say what the file really is.
_KNOWN_TYPES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a Word document or ZIP archive"),
    (b"\xd0\xcf\x11\xe0", "an old-style Word or Excel file"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"{\\rtf", "a rich text (RTF) document"),
)
_MARKUP = re.compile(rb"<\s*(?:!doctype|html|script|svg|body|iframe)", re.IGNORECASE)
_ENCRYPT = re.compile(rb"/Encrypt(?:\s*<<|\s+\d+\s+\d+\s+R)")
_EOCD = b"PK\x05\x06"
_CENTRAL = b"PK\x01\x02"


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed({"letter": [message]}, message)


def clean_filename(name: str | None) -> str:
    """The uploaded file's name, checked: no folders, control characters or very long names; ends in .pdf."""
    if name is None or not name.strip():
        raise _refuse("Choose the signed letter of commitment to upload (a PDF file).")
    if any(unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\u200d" for ch in name):
        raise _refuse(
            "The file name contains hidden control characters. Rename the file (letters, digits, spaces, "
            "hyphens) and upload it again."
        )
    if "/" in name or "\\" in name or ".." in name:
        raise _refuse(
            'The file name must not contain a folder path ("/", "\\" or ".."). Rename the file and upload it again.'
        )
    name = unicodedata.normalize("NFC", name).strip()
    if len(name) > MAX_FILENAME:
        raise _refuse(
            f"The file name is {len(name):,} characters long; the limit is {MAX_FILENAME}. Shorten it and "
            "upload it again."
        )
    if name.startswith("."):
        raise _refuse("The file name must not start with a dot. Rename the file and upload it again.")
    if not name.lower().endswith(".pdf"):
        name += ".pdf"
    return name


def check_pdf(content: bytes, *, limit: int) -> None:
    """Refuse anything that is not a complete, unencrypted, plain PDF of at most ``limit`` bytes."""
    if not content:
        raise _refuse("The file is empty. Choose the signed letter as a PDF and upload it again.")
    if len(content) > limit:
        raise _refuse(
            f"The file is {size_text(len(content))}; the limit is {size_text(limit)}. Save or scan the letter "
            "at a lower resolution and upload it again."
        )
    if not content.startswith(b"%PDF-"):
        if b"%PDF-" in content[:1024]:
            raise _refuse(
                "The file has other content before the PDF begins, so it cannot be accepted safely. Save the "
                "letter again as a plain PDF and upload that."
            )
        what = next((label for magic, label in _KNOWN_TYPES if content.startswith(magic)), None)
        if what is None and _MARKUP.search(content[:1024]):
            what = "a web page"
        detail = f" (it looks like {what})" if what else ""
        raise _refuse(f"This file is not a PDF{detail}. Save or scan the signed letter as a PDF and upload that.")
    if _MARKUP.search(content[:1024]):
        raise _refuse(
            "The file mixes a PDF with web page code, so it cannot be accepted safely. Save the letter again "
            "as a plain PDF and upload that."
        )
    if b"%%EOF" not in content[-2048:]:
        raise _refuse(
            "The PDF is incomplete (it has no end-of-file marker); it may have been cut short. Save it again "
            "and upload the new copy."
        )
    if _ENCRYPT.search(content):
        raise _refuse(
            "The PDF is password-protected or encrypted, so the funder could not open it. Save a copy "
            "without a password and upload that."
        )
    if _has_zip_directory(content):
        raise _refuse(
            "The file is both a PDF and a ZIP archive, so it cannot be accepted safely. Save the letter "
            "again as a plain PDF and upload that."
        )


def _has_zip_directory(content: bytes) -> bool:
    """Whether a ZIP end-of-central-directory record near the end points at a real central directory."""
    tail_start = max(0, len(content) - 65_557)
    at = content.rfind(_EOCD, tail_start)
    while at != -1:
        record = content[at : at + 22]
        if len(record) == 22:
            size = int.from_bytes(record[12:16], "little")
            offset = int.from_bytes(record[16:20], "little")
            start = at - size  # where the directory ends up when the ZIP was appended to other bytes
            if content[offset : offset + 4] == _CENTRAL or (start >= 0 and content[start : start + 4] == _CENTRAL):
                return True
        at = content.rfind(_EOCD, tail_start, at)
    return False


def size_text(size: int) -> str:
    """``10 MB``, ``10.5 MB``, or ``3 KB`` below a megabyte."""
    if size < 1024 * 1024:
        return f"{-(-size // 1024):,} KB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def storage_key(sha256: str) -> str:
    """The letter's name in file storage (app.infra.storage): ``letters/<sha256>.pdf``."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("not a SHA-256 digest")
    return f"letters/{sha256}.pdf"


def storage_path(sha256: str) -> Path:
    """Where a letter with this digest lives in the local backend: under UPLOAD_DIR, never under static/."""
    return Path(current_app.config["UPLOAD_DIR"]) / storage_key(sha256)


@storage.catalogue
def _stored_letters():
    for digest in db.session.scalars(sa.select(Letter.sha256).distinct()):
        yield storage_key(digest), digest


def live_pledge(bid: Bid, organisation_id: int) -> Pledge | None:
    pledge = db.session.scalar(
        sa.select(Pledge).where(Pledge.bid_id == bid.id, Pledge.organisation_id == organisation_id)
    )
    return pledge if pledge is not None and pledge.is_live else None


def upload_letter(actor: User, bid: Bid, content: bytes, filename: str | None) -> Letter:
    """Store a letter for the actor's organisation's live pledge; any previous letter is superseded."""
    if not is_bid_member(actor, bid) or bid.status == BidStatus.DRAFT:
        raise NotFound("No such bid.")
    if bid.status not in ACCEPTING:
        raise Conflict(f"This bid is {bid.status}: letters of commitment can no longer be changed.")
    pledge = live_pledge(bid, actor.organisation_id)
    if pledge is None:
        raise Conflict("Your organisation has no live pledge to this bid. Pledge first, then upload the letter.")
    name = clean_filename(filename)
    check_pdf(content, limit=current_app.config["MAX_LETTER_BYTES"])
    digest = files.sha256(content)
    previous = current_letter(pledge)
    now = clock.received_at()  # when the upload reached the server, as for pledges
    letter = Letter(
        pledge_id=pledge.id,
        bid_id=bid.id,
        organisation_id=pledge.organisation_id,
        sha256=digest,
        size_bytes=len(content),
        filename=name,
        uploaded_by_id=actor.id,
        uploaded_at=now,
    )
    if previous is not None:
        previous.superseded_at = now
    db.session.add(letter)
    db.session.flush()
    storage.store(storage_key(digest), content)
    audit.record(
        "letter.replaced" if previous else "letter.uploaded",
        actor=actor,
        bid=bid,
        subject=letter,
        before={"sha256": previous.sha256, "filename": previous.filename} if previous else None,
        after={"sha256": digest, "filename": name, "size_bytes": len(content), "pledge_id": pledge.id},
    )
    return letter


def current_letter(pledge: Pledge) -> Letter | None:
    return db.session.scalar(
        sa.select(Letter)
        .where(Letter.pledge_id == pledge.id, Letter.superseded_at.is_(None))
        .order_by(Letter.id.desc())
        .limit(1)
    )


def letters_for(actor: User, bid: Bid) -> list[Letter]:
    """Every letter the actor's organisation uploaded to the bid, newest first (the current one first)."""
    return list(
        db.session.scalars(
            sa.select(Letter)
            .where(Letter.bid_id == bid.id, Letter.organisation_id == actor.organisation_id)
            .order_by(Letter.id.desc())
        )
    )


def can_read(user: User | None, bid: Bid, letter: Letter) -> bool:
    """The organisation's own users and the bid's convenors; nobody else (funders go through their link)."""
    if letter.bid_id != bid.id or user is None or not user.is_authenticated:
        return False
    if is_bid_convenor(user, bid):
        return True
    return not user.is_convenor and user.organisation_id == letter.organisation_id


def get_letter(user: User | None, bid: Bid, letter_id: int) -> Letter:
    letter = db.session.get(Letter, letter_id)
    if letter is None or not can_read(user, bid, letter):
        raise NotFound("No such letter.")
    return letter


def get_current_for_pledge(user: User | None, bid: Bid, pledge_id: int) -> Letter:
    pledge = db.session.get(Pledge, pledge_id)
    letter = current_letter(pledge) if pledge is not None and pledge.bid_id == bid.id else None
    if letter is None or not can_read(user, bid, letter):
        raise NotFound("No such letter.")
    return letter


def read_content(sha256: str) -> bytes:
    """The stored bytes of a letter, checked against their digest. Raises NotFound if missing or altered."""
    return _stored(storage.read, sha256)


def stream_content(sha256: str) -> storage.Opened:
    """The stored letter checked against its digest, to stream in chunks. Raises NotFound as ``read_content``."""
    return _stored(storage.open_verified, sha256)


def _stored(reader, sha256: str):
    try:
        return reader(storage_key(sha256), sha256)
    except storage.FileMissing:
        raise NotFound("The letter's file is missing from storage.") from None
    except storage.FileDamaged:
        raise NotFound("The letter's file in storage does not match its recorded digest.") from None


def download_name(organisation_name: str, sha256: str) -> str:
    """A safe name for a download or a ZIP entry: ``Riverside-Homes-1a2b3c4d.pdf``."""
    return f"{files.slug(organisation_name, fallback='organisation')}-{sha256[:8]}.pdf"
