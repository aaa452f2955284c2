"""Text for reportlab: user text made drawable in the embedded fonts, escaped markup for Paragraphs, and lines
fitted or wrapped to a width in points. Cleaning and UK formatting come from app.text.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

from reportlab.pdfbase.pdfmetrics import stringWidth

from app.pdf.typeface import printable, visual_order
from app.text import clean_text, without_format_characters


def display_text(value: object) -> str:
    """User text for the PDF: cleaned, drawable, and without invisible format characters.

    Zero-width joiners, bidi overrides (U+202E) and the like (Unicode category Cf) can disguise a name,
    so the PDF shows the text without them. Characters the embedded fonts lack are replaced by a visible
    description (see app.pdf.typeface.printable), and right-to-left runs are put in drawing order.
    """
    text = clean_text(value)
    if text.isascii():
        return text
    return visual_order(printable(without_format_characters(text)))


def display_line(value: object, limit: int | None = None) -> str:
    """Display text on one line (newlines and tabs become spaces), optionally cut to ``limit`` characters."""
    text = " ".join(display_text(value).split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def markup(value: object) -> str:
    """User text made safe for a reportlab Paragraph: escaped, with newlines as ``<br/>``.

    Paragraph parses a mini-language (``<img>``, ``<font>``, ``<a>``...); escaping first means a
    name such as ``<img src="http://..."/>`` prints literally and nothing is fetched.
    """
    text = display_text(value).replace("\t", " ")
    return escape(text).replace("\n", "<br/>")


def text_paragraphs(value: object) -> list[str]:
    """Display text split into paragraphs at blank lines (not escaped: see app.pdf.paged.plain_paragraph)."""
    text = display_text(value)
    return [block.strip().replace("\t", " ") for block in re.split(r"\n\s*\n", text) if block.strip()]


def markup_paragraphs(value: object) -> list[str]:
    """Plain text split into paragraphs at blank lines, each made safe with :func:`markup`."""
    text = display_text(value)
    blocks = re.split(r"\n\s*\n", text)
    return [markup(block.strip()) for block in blocks if block.strip()]


def fit_width(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis so that it fits ``width`` points in ``font`` at ``size``."""
    if stringWidth(text, font, size) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if stringWidth(text[:mid] + "…", font, size) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…"


def wrap_lines(text: str, font: str, size: float, width: float) -> list[str]:
    """``text`` broken into lines no wider than ``width``: at spaces, and inside over-long words after
    ``-``, ``_`` or ``/`` where possible (so ``letter-of-commitment-12.pdf`` breaks cleanly)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if stringWidth(candidate, font, size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        if stringWidth(word, font, size) <= width:
            line = word
            continue
        chunks = _break_word(word, font, size, width)
        lines += chunks[:-1]
        line = chunks[-1]
    if line or not lines:
        lines.append(line)
    return lines


def _break_word(word: str, font: str, size: float, width: float) -> list[str]:
    chunks: list[str] = []
    start, used, last_break = 0, 0.0, -1
    i = 0
    while i < len(word):
        used += stringWidth(word[i], font, size)
        if used > width and i > start:
            cut = last_break + 1 if last_break >= start else i
            chunks.append(word[start:cut])
            start, last_break = cut, -1
            used = stringWidth(word[start : i + 1], font, size)
        if word[i] in "-_/":
            last_break = i
        i += 1
    chunks.append(word[start:])
    return chunks
