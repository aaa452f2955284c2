"""The embedded Unicode fonts of every PDF the app makes, and what to print for a character they lack.

DejaVu Sans (regular, bold, oblique, bold oblique) and DejaVu Sans Mono are vendored in ``app/pdf/fonts``
with their licence. reportlab embeds only the glyphs a document uses, so a pack stays small.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from reportlab.graphics import shapes
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import tables

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVuSans"
REGULAR, BOLD, ITALIC, BOLD_ITALIC = FAMILY, f"{FAMILY}-Bold", f"{FAMILY}-Oblique", f"{FAMILY}-BoldOblique"
MONO = "DejaVuSansMono"
FILES = {
    REGULAR: "DejaVuSans.ttf",
    BOLD: "DejaVuSans-Bold.ttf",
    ITALIC: "DejaVuSans-Oblique.ttf",
    BOLD_ITALIC: "DejaVuSans-BoldOblique.ttf",
    MONO: "DejaVuSansMono.ttf",
}
#: What a character outside the fonts prints as when it has no Unicode name.
REPLACEMENT = "\ufffd"


@lru_cache(maxsize=1)
def register() -> tuple[str, ...]:
    """Register the faces with reportlab once per process (``<b>`` and ``<i>`` map to the family's faces)."""
    for name, filename in FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
    pdfmetrics.registerFontFamily(FAMILY, normal=REGULAR, bold=BOLD, italic=ITALIC, boldItalic=BOLD_ITALIC)
    for bold, italic, face in ((0, 0, REGULAR), (1, 0, BOLD), (0, 1, ITALIC), (1, 1, BOLD_ITALIC)):
        addMapping(FAMILY, bold, italic, face)
    # reportlab's own defaults name Helvetica, which it selects (without drawing) at the start of every
    # table cell and drawing; the app's PDFs should reference embedded fonts only, so make ours the default.
    shapes.STATE_DEFAULTS["fontName"] = REGULAR
    tables.CellStyle.fontname = REGULAR
    return tuple(FILES)


@lru_cache(maxsize=1)
def coverage() -> frozenset[int]:
    """Code points every face of the text family has a glyph for: user text may be drawn in any of them.

    Only the Basic Multilingual Plane: reportlab writes the ToUnicode entry of a character above U+FFFF
    (most emoji) in a form PDF readers reject, so such a character could not be searched, copied or read
    aloud; it gets the visible replacement instead. Tabs and newlines are layout, not glyphs.
    """
    register()
    faces = [pdfmetrics.getFont(name).face.charToGlyph for name in (REGULAR, BOLD, ITALIC, BOLD_ITALIC)]
    common = {code for code in faces[0] if code <= 0xFFFF}
    for face in faces[1:]:
        common &= set(face)
    return frozenset(common | {0x09, 0x0A})


def _script(ch: str) -> str:
    """A character's script as the first word of its Unicode name: ``CJK``, ``DEVANAGARI``, ``ARABIC``..."""
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else ""


def printable(text: str) -> str:
    """``text`` with every run of characters the fonts cannot draw replaced by a visible description.

    One such character prints as its Unicode name in brackets (``[cjk unified ideograph-4e2d]``), several of
    the same script in a row as ``[Devanagari text, 5 characters]``, and a character without a name as
    U+FFFD (``�``). Nothing is dropped silently and nothing draws as an empty box.
    """
    if text.isascii():
        return text
    cover = coverage()
    if all(ord(ch) in cover for ch in text):
        return text
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if not run:
            return
        if len(run) == 1:
            name = unicodedata.name(run[0], "")
            out.append(f"[{name.lower()}]" if name else REPLACEMENT)
        else:
            script = _script(run[0])
            label = script.capitalize() if len(script) > 3 else script
            out.append(f"[{label + ' ' if label else ''}text, {len(run)} characters]")
        run.clear()

    for ch in text:
        if ord(ch) in cover:
            flush()
            out.append(ch)
        elif run and _script(run[-1]) != _script(ch):
            flush()
            run.append(ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


def _rtl_class() -> str:
    ranges: list[list[int]] = []
    for code in range(0x10000):  # right-to-left scripts the fonts cover are all in the BMP
        if unicodedata.bidirectional(chr(code)) in ("R", "AL"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


_RTL = _rtl_class()
#: A run of right-to-left letters, with the spaces and marks between them (not digits or Latin text).
_RTL_RUN = re.compile(f"[{_RTL}](?:[{_RTL}\\s\u0591-\u05c7]*[{_RTL}\u0591-\u05c7])?")


def visual_order(text: str) -> str:
    """Each right-to-left run reversed into the order it is drawn, the text around it left as it is.

    reportlab draws characters left to right and applies no bidirectional algorithm, so a Hebrew word is
    turned round here, as one isolated run: the line around it never moves.
    """
    if text.isascii():
        return text
    return _RTL_RUN.sub(lambda m: m.group(0)[::-1], text)
