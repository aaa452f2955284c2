"""Text hygiene and UK formatting shared by the bid pack builders: clean, escape, format, truncate."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent
from reportlab.pdfbase.pdfmetrics import stringWidth

from app.pdf.typeface import printable, visual_order

LONDON = ZoneInfo("Europe/London")
LOCALE = "en_GB"

# C0 controls except tab and newline, DEL, the C1 block and lone surrogates: never meaningful in names or statements.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _category_class(category: str) -> re.Pattern[str]:
    """A regex character class of every code point in a Unicode category, written as compact ranges."""
    ranges: list[list[int]] = []
    for code in range(0x110000):
        if unicodedata.category(chr(code)) == category:
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    parts = (re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    return re.compile("[" + "".join(parts) + "]")


# Invisible format characters (Unicode category Cf: zero-width joiners, bidi overrides, soft hyphen...).
_FORMAT = _category_class("Cf")


def clean_text(value: object) -> str:
    """User text with line endings normalised to ``\\n`` and control characters (NUL and friends) removed."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def display_text(value: object) -> str:
    """User text for the PDF: cleaned, drawable, and without invisible format characters.

    Zero-width joiners, bidi overrides (U+202E) and the like (Unicode category Cf) can disguise a name,
    so the PDF shows the text without them. Characters the embedded fonts lack are replaced by a visible
    description (see app.pdf.typeface.printable), and right-to-left runs are put in drawing order.
    """
    text = clean_text(value)
    if text.isascii():
        return text
    return visual_order(printable(_FORMAT.sub("", text)))


def one_line(value: object, limit: int | None = None) -> str:
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


def london_datetime(dt: datetime) -> str:
    """``5:00 pm on Friday 14 August 2026``: the UK way, in Europe/London."""
    return format_datetime(_aware(dt), "h:mm a 'on' EEEE d MMMM yyyy", tzinfo=LONDON, locale=LOCALE)


def london_date(dt: datetime | date, pattern: str = "d MMMM yyyy") -> str:
    """A date (``14 August 2026``) as it falls in Europe/London."""
    if isinstance(dt, datetime):
        dt = _aware(dt).astimezone(LONDON).date()
    return format_date(dt, pattern, locale=LOCALE)


def iso_utc(dt: datetime | None) -> str:
    """ISO 8601 with offset, in UTC, to the second: ``2026-08-14T16:00:00+00:00``."""
    if dt is None:
        return ""
    return _aware(dt).astimezone(UTC).isoformat(timespec="seconds")


def _aware(dt: datetime) -> datetime:
    # The contract says aware UTC; a naive value is taken to be UTC rather than local time.
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def format_count(value: int) -> str:
    """An integer with thousands separators: ``1,100,000``."""
    if isinstance(value, int):
        return f"{value:,}"  # the en_GB grouping, without Babel's per-call cost (thousands of rows)
    return format_decimal(value, locale=LOCALE)


def percent_of(part: int, whole: int) -> str:
    """``part`` as a percentage of ``whole`` to one decimal place, or ``n/a`` when there is no whole."""
    if whole <= 0:
        return "n/a"
    return format_percent(Decimal(part) / Decimal(whole), "#,##0.0%", locale=LOCALE)


def compact_money(pence: float) -> str:
    """Short money for chart labels: ``£6.25m``, ``£250k``, ``£900``."""
    pounds = pence / 100
    sign = "-" if pounds < 0 else ""
    pounds = abs(pounds)
    if pounds >= 1_000_000:
        return f"{sign}£{_trim(pounds / 1_000_000)}m"
    if pounds >= 1_000:
        return f"{sign}£{_trim(pounds / 1_000)}k"
    return f"{sign}£{pounds:,.0f}"


def compact_count(value: float) -> str:
    """Short counts for chart labels: ``1.1m``, ``12.5k``, ``950``."""
    if value >= 1_000_000:
        return f"{_trim(value / 1_000_000)}m"
    if value >= 1_000:
        return f"{_trim(value / 1_000)}k"
    return f"{value:,.0f}"


def _trim(value: float) -> str:
    text = f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:.0f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
