"""The convening body's identity in the bid pack: cover, running header, accent, contact; the default look."""

from __future__ import annotations

import io
from dataclasses import replace

import pypdf

from app.pdf import build_pdf
from app.pdf.data import PackBody
from tests.images import png
from tests.pdf.sample import make_pack
from tests.pdf.test_builder import page_texts

BODY = PackBody(
    display_name="Cymdeithas Tai Eryri",
    accent="#7a1f3d",
    logo=png(600, 200),
    contact_name="Siân Jones",
    contact_email="sian@eryri.example",
    contact_phone="01286 000 000",
)


def test_the_cover_fits_one_page_with_logo_contact_and_a_long_title():
    data = replace(make_pack(39), body=BODY, bid_title="A very long bid title " * 6)
    texts = page_texts(build_pdf(data))
    assert "Siân Jones · sian@eryri.example · 01286 000 000" in texts[0]
    assert "This pack is a snapshot of the bid" in texts[0]  # nothing spilled onto a second page
    assert texts[1].splitlines()[0].endswith("Cymdeithas Tai Eryri") or "Cymdeithas Tai Eryri" in texts[1]
    assert "Headline figures" in texts[1]


def test_the_running_header_names_the_body_and_the_accent_colours_the_cover():
    pdf = build_pdf(replace(make_pack(5), body=BODY))
    texts = page_texts(pdf)
    assert all("Cymdeithas Tai Eryri" in text for text in texts[1:])
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    cover = reader.pages[0].get_contents().get_data()
    assert b".478431 .121569 .239216 rg" in cover  # #7a1f3d as the cover band's fill


def test_without_an_identity_the_pack_looks_as_before():
    pdf = build_pdf(make_pack(5))
    texts = page_texts(pdf)
    assert all("Consortium bid pack" in text for text in texts[1:])
    assert "CONTACT FOR THE FUNDER" not in texts[0]
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert b".113725 .207843 .341176 rg" in reader.pages[0].get_contents().get_data()  # the default navy
