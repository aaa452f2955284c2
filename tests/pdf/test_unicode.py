"""Every UK organisation's name prints as itself: embedded Unicode fonts, glyph coverage, replacements, RTL runs."""

from __future__ import annotations

import io
import re

import pypdf
from fontTools.ttLib import TTFont
from pypdf.generic import ContentStream

from app.pdf import build_pdf
from app.pdf.text import display_text
from app.pdf.typeface import printable
from tests.pdf.sample import make_pack
from tests.pdf.test_builder import flat, page_texts

NAMES = [
    "Grŵp Cynefin",
    "Cymdeithas Tai Eryri",
    "Ó Conaill Housing Co-operative",
    "Łódź Homes",
    "Zoë's Place",
    "Tŷ Gŵyr Ŵyn Ŷr Homes",
    "Comhairle nan Eilean Siar Taigheadas (àèìòù áéíóú)",
    "Kőbánya Çiftlik Homes – “Quoted” — Dash",
]
STATEMENTS = [
    "Warm spaces for all 🏠 and youth sport £1,000 to €2,000 – “curly” ‘quotes’ — dashes.",
    "Gwasanaethau i denantiaid: â ê î ô û ŵ ŷ.",
]


def _pack():
    data = make_pack(12, names=NAMES, statements=STATEMENTS)
    return data, build_pdf(data)


def test_every_name_and_statement_prints_exactly_as_stored():
    _data, pdf = _pack()
    text = flat(" ".join(page_texts(pdf)))
    for name in NAMES:
        assert name in text, name
    assert "£1,000 to €2,000 – “curly” ‘quotes’ — dashes." in text
    assert "â ê î ô û ŵ ŷ." in text


def test_emoji_and_scripts_outside_the_font_get_a_visible_replacement():
    assert printable("Warm spaces 🏠") == "Warm spaces [house building]"
    assert printable("中文 homes") == "[CJK text, 2 characters] homes"
    assert printable("नमस्ते") == "[Devanagari text, 6 characters]"
    assert printable("\U000f0000") == "\ufffd"  # private use: no name
    _data, pdf = _pack()
    text = flat(" ".join(page_texts(pdf)))
    assert "Warm spaces for all [house building] and youth sport" in text


def test_right_to_left_text_is_its_own_run_and_the_line_keeps_its_order():
    shown = display_text("Homes שלום Trust 2026")
    assert shown == "Homes םולש Trust 2026"  # the Hebrew word turned round for drawing; the rest unmoved
    assert display_text("\u202eevil\u202c name") == "evil name"  # bidi overrides never reach the page


def _fonts(resources) -> dict:
    found = {}
    for name, ref in (resources.get("/Font") or {}).items():
        found[name] = ref.get_object()
    return found


def _to_unicode(font) -> dict[int, str]:
    data = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    return {
        int(code, 16): chr(int(uni, 16)) for code, uni in re.findall(r"<([0-9A-Fa-f]{2})>\s*<([0-9A-Fa-f]{4,6})>", data)
    }


def _shown(resources, content, seen):
    """(font, bytes) for every string drawn in a content stream and the forms it calls."""
    fonts = _fonts(resources)
    current = None
    for operands, operator in ContentStream(content, None).operations:
        if operator == b"Tf":
            current = fonts[operands[0]]
        elif operator in (b"Tj", b"'", b'"'):
            seen.append((current, bytes(operands[-1].original_bytes)))
        elif operator == b"TJ":
            seen += [(current, bytes(p.original_bytes)) for p in operands[0] if hasattr(p, "original_bytes")]
        elif operator == b"Do":
            xobject = resources["/XObject"][operands[0]].get_object()
            if xobject.get("/Subtype") == "/Form":
                _shown(xobject.get("/Resources") or resources, xobject, seen)


def test_every_character_drawn_has_a_glyph_in_the_embedded_font_that_drew_it():
    _data, pdf = _pack()
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    drawn: list = []
    for page in reader.pages:
        _shown(page["/Resources"], page.get_contents(), drawn)
    assert drawn
    checked, characters = {}, set()
    for font, raw in drawn:
        assert font["/Subtype"] == "/TrueType", font["/BaseFont"]  # no base-14 font anywhere
        key = id(font)
        if key not in checked:
            embedded = font["/FontDescriptor"].get_object()["/FontFile2"].get_object().get_data()
            face = TTFont(io.BytesIO(embedded))
            cmap = next(t.cmap for t in face["cmap"].tables if t.cmap)
            checked[key] = (cmap, _to_unicode(font), face.getGlyphOrder())
        cmap, unicode_of, order = checked[key]
        for code in raw:
            glyph = cmap.get(code)
            assert glyph is not None and glyph != order[0], (font["/BaseFont"], code, unicode_of.get(code))
            characters.add(unicode_of.get(code))
    for name in NAMES:
        assert set(name) <= characters | {" "}, name  # every letter of every name was drawn from a real glyph


def test_the_pdf_declares_its_language_and_title_and_uses_no_base_14_font():
    data, pdf = _pack()
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    assert reader.metadata.title == data.bid_title
    assert b"Helvetica" not in pdf and b"Courier" not in pdf
