"""A convening body's identity: logo checks by content, validated values, nothing saved on refusal."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, BodyIdentity
from app.services import body
from app.services.errors import NotFound, ValidationFailed
from tests.factories import BidFactory, ConvenorFactory, member_of
from tests.images import SVG, jpeg, png, png_bomb
from tests.pdfs import clean_storage, make_pdf

pytestmark = pytest.mark.usefixtures(clean_storage.__name__)


def logos(app) -> list[Path]:
    folder = Path(app.config["UPLOAD_DIR"]) / "logos"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.fixture
def convenor(ctx):
    return ConvenorFactory(name="Sam Convenor")


@pytest.mark.parametrize(("content", "kind"), [(png(), "png"), (jpeg(), "jpeg")], ids=["png", "jpeg"])
def test_a_real_png_or_jpeg_is_stored_by_its_digest(app, convenor, content, kind):
    identity = body.update_identity(convenor, convenor.organisation_id, display_name="Alliance", logo=content)
    db.session.commit()
    assert (identity.logo_type, identity.logo_width, identity.logo_height) == (kind, 120, 40)
    path = body.logo_path(identity.logo_sha256, kind)
    assert path.read_bytes() == content and "static" not in path.parts
    assert body.read_logo(identity) == content


REFUSALS = [
    ("pdf renamed", make_pdf(), "This file is not a PNG or JPEG image (it looks like a PDF document)"),
    ("svg", SVG, "SVG logos are not accepted"),
    ("20 MB", png() + b"\x00" * (20 * 1024 * 1024), "The logo is 20 MB; the limit is 2 MB"),
    ("png bomb", png_bomb(), "The logo is 100,000 × 100,000 pixels; the largest accepted is 4,000 × 4,000"),
    ("empty", b"", "The logo file is empty"),
    ("truncated", png()[:60], "The image could not be read"),
    ("gif", b"GIF89a" + b"\x00" * 40, "it looks like a GIF image"),
    ("text", b"hello, this is not an image", "This file is not a PNG or JPEG image"),
]


@pytest.mark.parametrize(("content", "message"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_refused_logos_have_their_own_message_and_save_nothing(app, convenor, content, message):
    with pytest.raises(ValidationFailed) as caught:
        body.update_identity(convenor, convenor.organisation_id, display_name="Changed", logo=content)
    assert message in caught.value.errors["logo"][0]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BodyIdentity)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0
    assert logos(app) == []


def test_a_jpeg_bomb_is_refused_by_its_dimensions(app, convenor, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_LOGO_PIXELS", 100)
    with pytest.raises(ValidationFailed) as caught:
        body.update_identity(convenor, convenor.organisation_id, logo=jpeg(400, 50))
    assert "The logo is 400 × 50 pixels; the largest accepted is 100 × 100" in caught.value.errors["logo"][0]


BAD_VALUES = [
    ({"accent": "navy"}, "accent", "Enter the accent colour as # and six hexadecimal digits"),
    ({"accent": "#12345"}, "accent", "six hexadecimal digits"),
    ({"accent": "#ffff00"}, "accent", "White text on #ffff00 has a contrast of 1.1:1; choose a darker colour"),
    ({"contact_email": "not an email"}, "contact_email", "Enter an email address in the right format"),
    ({"contact_phone": "call me"}, "contact_phone", "Enter a phone number of digits"),
    ({"contact_phone": "12"}, "contact_phone", "Enter a phone number of digits"),
    ({"display_name": "x" * 201}, "display_name", "at most 200 characters (this one has 201)"),
    ({"contact_name": "Sam\x00Jones"}, "contact_name", "contains control characters"),
]


@pytest.mark.parametrize(("values", "field", "message"), BAD_VALUES)
def test_bad_values_are_refused_and_nothing_is_saved(app, convenor, values, field, message):
    body.update_identity(convenor, convenor.organisation_id, display_name="Kept", accent="#1d3557")
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        body.update_identity(convenor, convenor.organisation_id, **({"display_name": "Lost", "logo": png()} | values))
    assert message in caught.value.errors[field][0]
    db.session.rollback()
    identity = body.identity_of(convenor.organisation_id)
    assert (identity.display_name, identity.accent, identity.logo_sha256) == ("Kept", "#1d3557", None)
    assert logos(app) == []


def test_values_are_normalised_and_audited(convenor):
    identity = body.update_identity(
        convenor,
        convenor.organisation_id,
        display_name="  Community   Housing Alliance ",
        accent="1D3557",
        contact_name="Priya Shah",
        contact_email="Bids@Alliance.org.uk",
        contact_phone="0161 496 0000",
    )
    assert identity.display_name == "Community Housing Alliance"
    assert identity.accent == "#1d3557"
    assert identity.contact_email == "Bids@alliance.org.uk"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "body.updated"))
    assert event.after["accent"] == "#1d3557"


def test_removing_the_logo_returns_to_the_default(convenor):
    body.update_identity(convenor, convenor.organisation_id, logo=png())
    identity = body.update_identity(convenor, convenor.organisation_id, remove_logo=True)
    assert identity.logo_sha256 is None and body.read_logo(identity) is None


def test_only_the_bodys_own_convenors(ctx):
    bid = BidFactory()
    own = bid.created_by
    other = ConvenorFactory()
    member = member_of(bid)
    body.get_body(own, own.organisation_id)
    for who in (other, member):
        with pytest.raises(NotFound):
            body.update_identity(who, own.organisation_id, display_name="Taken over")
    with pytest.raises(NotFound):  # a member organisation has no convening body settings
        body.get_body(member, member.organisation_id)


def test_the_pack_carries_the_identity_and_defaults_without_one(convenor):
    assert body.pack_body(convenor.organisation) is None
    body.update_identity(convenor, convenor.organisation_id, contact_name="Priya Shah", logo=png())
    carried = body.pack_body(convenor.organisation)
    assert carried.display_name == convenor.organisation.name  # no display name: the organisation's own
    assert carried.contact_name == "Priya Shah" and carried.logo == png()
