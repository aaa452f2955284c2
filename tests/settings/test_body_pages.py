"""The convening body's settings page, and its identity on the bid pack and the funder's page."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest
import sqlalchemy as sa

from app.models import AuditEvent, BidStatus, BodyIdentity
from app.services import body, funder, packs
from tests.factories import ConvenorFactory
from tests.images import SVG, png, png_bomb
from tests.packdata import outside, populated_bid, signed_in
from tests.pdfs import clean_storage, make_pdf

pytestmark = pytest.mark.usefixtures(clean_storage.__name__)
__all__ = ["signed_in"]


@pytest.fixture
def world(app):
    with outside(app):
        bid, users = populated_bid(members=2, letters_for=1, min_total_pence=2_000_000, min_members=3)
        other = ConvenorFactory()
        return {
            "bid": bid.id,
            "body": bid.organisation_id,
            "name": bid.organisation.name,
            "convenor": bid.created_by.email,
            "other": other.email,
            "member": users[0].email,
        }


def settings_url(world) -> str:
    return f"/bodies/{world['body']}/settings"


def post(browser, world, logo: tuple[bytes, str] | None = None, **values):
    data = {"display_name": "", "accent": "", "contact_name": "", "contact_email": "", "contact_phone": ""} | values
    if logo is not None:
        data["logo"] = (io.BytesIO(logo[0]), logo[1])
    return browser.post_form(settings_url(world), data, content_type="multipart/form-data")


def rows(app) -> int:
    with outside(app) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(BodyIdentity))


def stored(app) -> list[Path]:
    folder = Path(app.config["UPLOAD_DIR"]) / "logos"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_the_convenor_saves_the_identity_and_sees_the_logo(app, signed_in, world):
    browser = signed_in(world["convenor"])
    page = browser.get(settings_url(world))
    assert page.status_code == 200 and "Display name" in page.text and "Contact for funders" in page.text
    assert f'href="{settings_url(world)}"' in page.text  # the header links to it
    response = post(
        browser,
        world,
        logo=(png(), "logo.png"),
        display_name="Community Housing Alliance Cymru",
        accent="#1d3557",
        contact_name="Priya Shah",
        contact_email="bids@alliance.example",
        contact_phone="029 2000 0000",
    )
    assert response.status_code == 302
    page = browser.get(settings_url(world))
    assert 'value="Community Housing Alliance Cymru"' in page.text and "PNG, 120 × 40 pixels" in page.text
    logo = browser.get(f"/bodies/{world['body']}/logo")
    assert logo.status_code == 200 and logo.mimetype == "image/png" and logo.data == png()
    assert logo.headers["X-Content-Type-Options"] == "nosniff"
    assert signed_in(world["other"]).get(f"/bodies/{world['body']}/logo").status_code == 404
    assert signed_in(world["member"]).get(settings_url(world)).status_code == 404


@pytest.mark.parametrize(
    ("values", "messages"),
    [
        (
            {"accent": "yellow", "contact_email": "nobody"},
            ["Enter the accent colour as # and six hexadecimal digits", "Enter an email address in the right format"],
        ),
        ({"accent": "#eeeeee"}, ["White text on #eeeeee has a contrast of 1.2:1"]),
        ({"contact_phone": "ring reception"}, ["Enter a phone number of digits"]),
        ({"display_name": "x" * 250}, ["at most 200 characters (this one has 250)"]),
    ],
)
def test_bad_input_is_shown_beside_the_fields_and_nothing_is_saved(app, signed_in, world, values, messages):
    browser = signed_in(world["convenor"])
    response = post(browser, world, logo=(png(), "logo.png"), **({"display_name": "Lost"} | values))
    assert response.status_code == 422
    assert 'class="error-summary"' in response.text
    for message in messages:
        assert message in response.text
    assert rows(app) == 0 and stored(app) == []


@pytest.mark.parametrize(
    ("logo", "message"),
    [
        ((make_pdf(), "logo.png"), "This file is not a PNG or JPEG image (it looks like a PDF document)"),
        ((SVG, "logo.svg"), "SVG logos are not accepted"),
        ((png_bomb(), "bomb.png"), "The logo is 100,000 × 100,000 pixels; the largest accepted is 4,000 × 4,000"),
    ],
    ids=["renamed pdf", "svg", "png bomb"],
)
def test_refused_logos_are_shown_beside_the_field(app, signed_in, world, logo, message):
    response = post(signed_in(world["convenor"]), world, logo=logo, display_name="Changed")
    assert response.status_code == 422 and message in response.text
    assert rows(app) == 0 and stored(app) == []


def test_an_oversized_image_is_refused_with_the_limit(app, signed_in, world, monkeypatch):
    # The 20 MB case is refused by the service (tests/settings/test_body_service.py) and, on the web, by
    # MAX_CONTENT_LENGTH; both limits are scaled down here so the test client keeps the body in memory.
    monkeypatch.setitem(app.config, "MAX_LOGO_BYTES", 2048)
    response = post(signed_in(world["convenor"]), world, logo=(png() + b"\x00" * 6000, "big.png"))
    assert response.status_code == 422 and "; the limit is 2 KB. Save a smaller image." in response.text
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    response = post(signed_in(world["convenor"]), world, logo=(png() + b"\x00" * 8000, "big.png"))
    assert response.status_code == 413 and "That file or form is too large" in response.text
    assert rows(app) == 0 and stored(app) == []


def test_the_pack_and_the_funder_page_carry_the_identity_thresholds_and_contact(app, client, world):
    with outside(app) as session:
        from app.models import Bid, User

        bid = session.get(Bid, world["bid"])
        convenor = session.scalar(sa.select(User).where(User.email == world["convenor"]))
        body.update_identity(
            convenor,
            world["body"],
            display_name="Grŵp Tai Cymru",
            accent="#7a1f3d",
            contact_name="Siân Jones",
            contact_email="sian@grwp.example",
            contact_phone="029 2000 0000",
            logo=png(),
        )
        bid.status = BidStatus.CLOSED
        pack = packs.generate_pack(convenor, bid)
        bid.status = BidStatus.SUBMITTED
        session.flush()
        _link, token = funder.create_link(convenor, bid, name="Funder", email="f@funder.example")
        pdf = packs.read_file(pack, "pdf")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    texts = [page.extract_text() for page in reader.pages]
    assert "Grŵp Tai Cymru" in texts[0] and "Siân Jones · sian@grwp.example · 029 2000 0000" in texts[0]
    assert all("Grŵp Tai Cymru" in text for text in texts[1:4])  # the running header
    for page in reader.pages[:3]:  # the logo on the cover and in the running header
        xobjects = [x.get_object() for x in (page["/Resources"].get("/XObject") or {}).values()]
        assert any(x["/Subtype"] == "/Image" for x in xobjects)
    page = client.get(f"/f/{token}")
    assert page.status_code == 200
    assert "submitted by Grŵp Tai Cymru" in page.text and "Siân Jones" in page.text
    assert 'href="mailto:sian@grwp.example"' in page.text
    assert "Minimum total match funding" in page.text and "£20,000" in page.text  # required
    assert 'fill="#7a1f3d"' in page.text
    logo = client.get(f"/f/{token}/logo")
    assert logo.status_code == 200 and logo.data == png()
    with outside(app) as session:
        assert session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "body.updated")) is not None
