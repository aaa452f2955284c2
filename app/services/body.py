"""A convening body's identity: display name, logo, accent colour and a named contact for funders.

Its convenors change it on the settings page; bid packs (cover, running header) and the funder page use it.
Raises NotFound (not a convenor of this body) and ValidationFailed (a value or the logo is refused; nothing
is saved, neither row nor file).
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from app.extensions import db
from app.infra import clock, files, storage
from app.models import BodyIdentity, Organisation, OrganisationKind, User
from app.pdf.data import PackBody
from app.services import audit
from app.services.errors import NotFound, ValidationFailed, require
from app.services.letters import size_text

MAX_NAME = 200
MAX_PHONE = 40
HEX = re.compile(r"#?([0-9a-fA-F]{6})")
PHONE = re.compile(r"\+?[0-9 ()\-]{6,40}")
#: White text on the accent (the cover band) must reach WCAG AA for normal text.
MIN_CONTRAST = 4.5
EXTENSIONS = {"png": "png", "jpeg": "jpg"}
_SIGNATURES = (
    (b"%PDF-", "a PDF document"),
    (b"GIF8", "a GIF image"),
    (b"RIFF", "a WebP image"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"PK\x03\x04", "a ZIP archive or Office document"),
)
_SVG = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!doctype svg[^>]*>\s*)?<svg\b", re.I | re.S)


def get_body(actor: User | None, organisation_id: int) -> tuple[Organisation, BodyIdentity | None]:
    """The convening body and its identity row, for one of its own convenors only."""
    organisation = db.session.get(Organisation, organisation_id)
    if (
        organisation is None
        or actor is None
        or not actor.is_authenticated
        or not actor.is_convenor
        or actor.organisation_id != organisation.id
        or organisation.kind != OrganisationKind.CONVENOR
    ):
        raise NotFound("No such convening body.")
    return organisation, identity_of(organisation.id)


def identity_of(organisation_id: int) -> BodyIdentity | None:
    return db.session.scalar(sa.select(BodyIdentity).where(BodyIdentity.organisation_id == organisation_id))


def contrast_with_white(hex_colour: str) -> float:
    """The WCAG contrast ratio of white text on ``#rrggbb``."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (luminance + 0.05)


def check_logo(content: bytes, *, limit: int, max_pixels: int) -> tuple[str, int, int]:
    """The logo's kind ("png" or "jpeg") and size in pixels, or ValidationFailed under ``logo``.

    Checked by content with Pillow, never by name: the pixel size is read from the header and refused
    before any pixel is decoded, so a tiny file that claims enormous dimensions (a PNG bomb) costs nothing.
    """
    from PIL import Image, UnidentifiedImageError

    def refuse(message: str):
        require({"logo": [message]})

    if not content:
        refuse("The logo file is empty. Choose a PNG or JPEG image.")
    if len(content) > limit:
        refuse(f"The logo is {size_text(len(content))}; the limit is {size_text(limit)}. Save a smaller image.")
    if _SVG.match(content[:2048]):
        refuse("SVG logos are not accepted (they can carry scripts). Save the logo as a PNG or JPEG image.")
    known = next((label for magic, label in _SIGNATURES if content.startswith(magic)), None)
    if known:
        refuse(f"This file is not a PNG or JPEG image (it looks like {known}). Save the logo as PNG or JPEG.")

    def too_large(width: int, height: int):
        refuse(
            f"The logo is {width:,} × {height:,} pixels; the largest accepted is {max_pixels:,} × "
            f"{max_pixels:,}. Save a smaller copy."
        )

    if content.startswith(b"\x89PNG\r\n\x1a\n") and content[12:16] == b"IHDR":  # size from the header
        width, height = int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
        if width > max_pixels or height > max_pixels:
            too_large(width, height)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=("PNG", "JPEG")) as image:
                kind = image.format.lower()
                width, height = image.size
                if width > max_pixels or height > max_pixels:
                    too_large(width, height)
                image.load()  # decode it whole: a truncated or damaged file fails here, not in a PDF later
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        refuse(f"The logo has far too many pixels; the largest accepted is {max_pixels:,} × {max_pixels:,}.")
    except UnidentifiedImageError:
        refuse("This file is not a PNG or JPEG image. Save the logo as PNG or JPEG and upload it again.")
    except (OSError, SyntaxError, ValueError):
        refuse("The image could not be read; it may be damaged or cut short. Save it again and upload the copy.")
    return kind, width, height


def logo_key(sha256: str, kind: str) -> str:
    """The logo's name in file storage (app.infra.storage): ``logos/<sha256>.<png|jpg>``."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256) or kind not in EXTENSIONS:
        raise ValueError("not a stored logo")
    return f"logos/{sha256}.{EXTENSIONS[kind]}"


def logo_path(sha256: str, kind: str) -> Path:
    """Where a logo lives in the local backend: under UPLOAD_DIR/logos, named by its digest, never under static/."""
    return Path(current_app.config["UPLOAD_DIR"]) / logo_key(sha256, kind)


@storage.catalogue
def _stored_logos():
    rows = db.session.execute(
        sa.select(BodyIdentity.logo_sha256, BodyIdentity.logo_type).where(BodyIdentity.logo_sha256.is_not(None))
    )
    for digest, kind in rows:
        yield logo_key(digest, kind), digest


def read_logo(identity: BodyIdentity | None) -> bytes | None:
    """The stored logo's bytes, checked against their digest; None when there is none or it is unreadable."""
    if identity is None or not identity.logo_sha256 or not identity.logo_type:
        return None
    try:
        return storage.read(logo_key(identity.logo_sha256, identity.logo_type), identity.logo_sha256)
    except (storage.FileMissing, storage.FileDamaged, ValueError):
        return None


def _clean(value: str | None, limit: int, field: str, label: str, errors: dict) -> str | None:
    text = " ".join((value or "").split())
    if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in value or "" if ch not in "\t\n\r"):
        errors[field].append(f"The {label} contains control characters.")
    elif len(text) > limit:
        errors[field].append(f"Enter a {label} of at most {limit} characters (this one has {len(text):,}).")
    return text or None


def update_identity(
    actor: User,
    organisation_id: int,
    *,
    display_name: str | None = None,
    accent: str | None = None,
    contact_name: str | None = None,
    contact_email: str | None = None,
    contact_phone: str | None = None,
    logo: bytes | None = None,
    remove_logo: bool = False,
) -> BodyIdentity:
    """Save the body's identity: every value checked first, so a refusal changes nothing."""
    organisation, identity = get_body(actor, organisation_id)
    errors: dict[str, list[str]] = {k: [] for k in ("display_name", "accent", "contact_name", "contact_email")}
    errors |= {"contact_phone": [], "logo": []}
    name = _clean(display_name, MAX_NAME, "display_name", "display name", errors)
    colour = None
    if (accent or "").strip():
        match = HEX.fullmatch(accent.strip())
        if match is None:
            errors["accent"].append("Enter the accent colour as # and six hexadecimal digits, like #1d3557.")
        else:
            colour = "#" + match.group(1).lower()
            ratio = contrast_with_white(colour)
            if ratio < MIN_CONTRAST:
                errors["accent"].append(
                    f"White text on {colour} has a contrast of {ratio:.1f}:1; choose a darker colour "
                    f"(at least {MIN_CONTRAST}:1), so the cover stays readable."
                )
    person = _clean(contact_name, MAX_NAME, "contact_name", "contact name", errors)
    email = None
    if (contact_email or "").strip():
        try:
            email = validate_email(contact_email.strip(), check_deliverability=False).normalized
        except EmailNotValidError:
            errors["contact_email"].append("Enter an email address in the right format, like bids@alliance.org.uk.")
    phone = " ".join((contact_phone or "").split()) or None
    if phone and (not PHONE.fullmatch(phone) or sum(ch.isdigit() for ch in phone) < 6):
        errors["contact_phone"].append("Enter a phone number of digits, spaces and brackets, like 0161 496 0000.")
    checked = None
    if logo is not None:
        try:
            checked = check_logo(
                logo, limit=current_app.config["MAX_LOGO_BYTES"], max_pixels=current_app.config["MAX_LOGO_PIXELS"]
            )
        except ValidationFailed as exc:  # gathered with the other fields' messages
            errors["logo"] += exc.errors["logo"]
    require(errors)
    before = _snapshot(identity)
    if identity is None:
        identity = BodyIdentity(organisation_id=organisation.id)
        db.session.add(identity)
    identity.display_name, identity.accent = name, colour
    identity.contact_name, identity.contact_email, identity.contact_phone = person, email, phone
    if checked is not None:
        kind, width, height = checked
        identity.logo_sha256, identity.logo_type = files.sha256(logo), kind
        identity.logo_width, identity.logo_height = width, height
    elif remove_logo:
        identity.logo_sha256 = identity.logo_type = identity.logo_width = identity.logo_height = None
    identity.updated_at, identity.updated_by_id = clock.now(), actor.id
    db.session.flush()
    if checked is not None:
        storage.store(logo_key(identity.logo_sha256, identity.logo_type), logo)
    audit.record("body.updated", actor=actor, subject=identity, before=before, after=_snapshot(identity))
    return identity


def _snapshot(identity: BodyIdentity | None) -> dict | None:
    if identity is None:
        return None
    keys = ("display_name", "accent", "contact_name", "contact_email", "contact_phone", "logo_sha256")
    return {key: getattr(identity, key) for key in keys}


def pack_body(organisation: Organisation) -> PackBody | None:
    """The identity a bid pack carries, or None for the default look."""
    identity = identity_of(organisation.id)
    if identity is None:
        return None
    return PackBody(
        display_name=identity.display_name or organisation.name,
        accent=identity.accent,
        logo=read_logo(identity),
        contact_name=identity.contact_name or "",
        contact_email=identity.contact_email or "",
        contact_phone=identity.contact_phone or "",
    )
