"""Text typed by people and text shown to them, the one module for both, and UK formatting.

One-line text: ``check_one_line`` (titles) and ``check_name`` (organisation and person names) refuse what a
one-line field must not hold, with a message naming it; ``one_line`` tidies text shown on one line that was
not checked on entry; ``skeleton`` says when two names or addresses look the same. Text for display:
``clean_text`` and ``without_format_characters``; ``not_unicode`` finds text that is not valid Unicode. UK
formatting: Europe/London (``LONDON``), the en_GB locale, dates, counts, percentages and compact money for
chart labels. Pages, emails, the API, the bid pack and the exports all use these.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent

LONDON = ZoneInfo("Europe/London")
#: Parsed once: Babel would otherwise parse the locale name on every call (a large share of a long table).
EN_GB = Locale.parse("en_GB")

#: Bidi embedding, override and isolate controls: typed on purpose they reverse how a name reads
#: ("Homes\u202efdp.exe"); right-to-left scripts display correctly without them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Everything Unicode treats as ending a line (str.splitlines), besides CR and LF.
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
#: What a spreadsheet reads as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@")


def one_line(value: str) -> str:
    """NUL bytes and bidi controls removed; line breaks, tabs and runs of spaces made single spaces.

    For text shown on one line that is not checked on entry; text people type goes through ``check_one_line``.
    """
    return " ".join("".join(c for c in value if c not in BIDI_CONTROLS and c != "\x00").split())


def check_one_line(value: object, label: str) -> str:
    """The text NFC-normalised, trimmed, runs of spaces made one. Raises ValueError naming what is wrong:
    a line break, a bidi control, a control character (NUL, tab, ...) or text that is not valid Unicode."""
    if not isinstance(value, str):
        raise ValueError(f"The {label} must be text.")
    value = value.strip()
    for char in value:
        code = f"U+{ord(char):04X}"
        if char in LINE_BREAKS:
            raise ValueError(f"The {label} must be on one line: remove the line break.")
        if char in BIDI_CONTROLS:
            raise ValueError(
                f"The {label} holds an invisible text-direction control ({code}) that can make it read "
                "backwards; remove it."
            )
        category = unicodedata.category(char)
        if category == "Cc":
            raise ValueError(f"The {label} holds a control character ({code}); remove it.")
        if category == "Cs":
            raise ValueError(f"The {label} is not valid text (it holds a lone surrogate, {code}).")
    return " ".join(unicodedata.normalize("NFC", value).split())


def check_name(value: object, label: str) -> str:
    """``check_one_line`` for a name (of an organisation or a person), which also cannot look like a formula."""
    value = check_one_line(value, label)
    if value.startswith(FORMULA_STARTS):
        raise ValueError(f"The {label} cannot start with =, +, - or @ (it looks like a spreadsheet formula).")
    return value


def skeleton(value: str) -> str:
    """What a name or address looks like: equal skeletons look alike ("Rіverside" with a Cyrillic і, and
    "RIVERSIDE   homes", both look like "Riverside Homes").

    Unicode's confusables data (UTS #39, as shipped by ``confusable-homoglyphs``) after compatibility
    normalisation and case folding; invisible format characters (zero-width space, joiners) dropped,
    spaces folded.
    """
    prototypes, sequences = _prototypes()
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    mapped = "".join(prototypes.get(c, c) for c in text if unicodedata.category(c) != "Cf")
    for sequence, replacement in sequences:
        mapped = mapped.replace(sequence, replacement)
    return " ".join(mapped.split())


@cache
def _prototypes() -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    """Each character → one representative of the characters confusable with it; and the ASCII sequences
    that look like one character ("rn" and "m").

    Groups are built from the data as it is (folding case inside the groups would chain unrelated letters
    together); the text is case-folded before it is mapped, and each representative after, so "0" and "O"
    map to "o" and "1", "I" and "l" to "i".
    """
    from confusable_homoglyphs.confusables import confusables_data

    parent: dict[str, str] = {}

    def find(c: str) -> str:
        while parent.get(c, c) != c:
            c = parent[c]
        return c

    pairs = []
    for key, glyphs in confusables_data.items():
        for glyph in glyphs:
            other = glyph["c"]
            if len(key) == 1 and len(other) == 1:
                a, b = find(key), find(other)
                if a != b:
                    parent[a] = b
            elif len(key) == 1 and key.isascii() and other.isascii() and len(other) > 1:
                pairs.append((other, key))
    groups: dict[str, list[str]] = {}
    for char in set(parent) | set(parent.values()):
        groups.setdefault(find(char), []).append(char)
    prototypes = {}
    for members in groups.values():
        best = min(members, key=lambda c: (not (c.isascii() and c.isalpha()), not c.isascii(), c))
        folded = best.casefold()
        prototypes.update(dict.fromkeys(members, folded if len(folded) == 1 else best))
    sequences = tuple(
        ("".join(prototypes.get(c, c) for c in seq), prototypes.get(char, char)) for seq, char in sorted(pairs)
    )
    return prototypes, sequences


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


@cache
def _format_characters() -> re.Pattern[str]:
    """Invisible format characters (Unicode category Cf: zero-width joiners, bidi overrides, soft hyphen...),
    built on first use: it walks every code point once."""
    return _category_class("Cf")


def clean_text(value: object) -> str:
    """User text with line endings normalised to ``\\n`` and control characters (NUL and friends) removed."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def without_format_characters(text: str) -> str:
    """``text`` without invisible format characters (Unicode category Cf: zero-width joiners, bidi overrides,
    soft hyphen...), which can disguise a name where it is shown."""
    return text if text.isascii() else _format_characters().sub("", text)


def possessive(name: str) -> str:
    """``Riverside Homes'``, ``Wheatley Housing Group's``: a name's possessive, as UK organisations write it."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def paragraphs(value: str | None) -> list[list[str]]:
    """Text a person typed, as paragraphs (split at blank lines) of lines: ``"A\r\nB\r\n\r\nC"`` →
    ``[["A", "B"], ["C"]]``. Browsers send CR LF; every page, email and the PDF read paragraphs this one way."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    blocks = re.split(r"\n[ \t]*\n", text)
    return [[line.strip() for line in block.strip().split("\n")] for block in blocks if block.strip()]


@lru_cache(maxsize=1024)  # a pure function of the moment; a batch of emails formats one deadline
def london_datetime(dt: datetime) -> str:
    """``5pm on Friday 14 August 2026`` (``5:30pm``, ``midday``, ``midnight``): the one way times are written
    everywhere (pages, emails, the PDF, the spreadsheet), in Europe/London. ``clock.format_uk`` is this too."""
    local = _aware(dt).astimezone(LONDON)
    day = format_datetime(local, "EEEE d MMMM yyyy", tzinfo=LONDON, locale=EN_GB)
    if local.hour == 12 and local.minute == 0:
        at = "midday"
    elif local.hour == 0 and local.minute == 0:
        at = "midnight"
    else:
        hour, suffix = local.hour % 12 or 12, "am" if local.hour < 12 else "pm"
        at = f"{hour}{suffix}" if local.minute == 0 else f"{hour}:{local.minute:02d}{suffix}"
    return f"{at} on {day}"


def london_date(dt: datetime | date, pattern: str = "d MMMM yyyy") -> str:
    """A date (``14 August 2026``) as it falls in Europe/London."""
    if isinstance(dt, datetime):
        dt = _aware(dt).astimezone(LONDON).date()
    return format_date(dt, pattern, locale=EN_GB)


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
    return format_decimal(value, locale=EN_GB)


def percent_of(part: int, whole: int) -> str:
    """``part`` as a percentage of ``whole`` to one decimal place, or ``n/a`` when there is no whole."""
    if whole <= 0:
        return "n/a"
    return format_percent(Decimal(part) / Decimal(whole), "#,##0.0%", locale=EN_GB)


def compact_money(pence: float, *, exact: bool = False) -> str:
    """Short money for chart labels: ``£6.25m``, ``£250k``, ``£900``.

    ``exact`` (an axis label on a gridline) keeps every digit the value has, up to three decimals, so the label
    says the gridline's value: ``£112.5m``, never ``£112m``.
    """
    pounds = pence / 100
    sign = "-" if pounds < 0 else ""
    pounds = abs(pounds)
    if pounds >= 1_000_000:
        return f"{sign}£{_trim(pounds / 1_000_000, exact)}m"
    if pounds >= 1_000:
        return f"{sign}£{_trim(pounds / 1_000, exact)}k"
    return f"{sign}£{pounds:,.0f}"


def compact_count(value: float, *, exact: bool = False) -> str:
    """Short counts for chart labels: ``1.1m``, ``12.5k``, ``950`` (``exact`` as for ``compact_money``)."""
    if value >= 1_000_000:
        return f"{_trim(value / 1_000_000, exact)}m"
    if value >= 1_000:
        return f"{_trim(value / 1_000, exact)}k"
    return f"{value:,.0f}"


def axis_money(pence: float) -> str:
    """A money axis's gridline label: the gridline's value exactly (``£1.25m``)."""
    return compact_money(pence, exact=True)


def axis_count(value: float) -> str:
    """A count axis's gridline label: the gridline's value exactly (``12.5k``)."""
    return compact_count(value, exact=True)


def _trim(value: float, exact: bool = False) -> str:
    if exact:
        for places in range(4):
            if abs(round(value, places) - value) < 1e-9 * max(1.0, value):
                break
        text = f"{value:.{places}f}"
    else:
        text = f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:.0f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


#: Lone surrogates: JSON can spell them (``"\ud800"``) but they are not characters, cannot be encoded as
#: UTF-8, and the database driver fails on them.
_SURROGATES = re.compile("[\ud800-\udfff]")
NOT_UNICODE = "Must be valid Unicode text: it holds a lone surrogate (\\ud800 to \\udfff), which is not a character."


def not_unicode(value: object, path: str = "") -> list[str]:
    """The paths (``statement``, ``invitations[2].email``) of every string in decoded JSON that is not valid
    Unicode, keys included. Called where a request body is decoded, before anything reads the values."""
    if isinstance(value, str):
        return [path or "body"] if _SURROGATES.search(value) else []
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            name = key.encode("utf-8", "backslashreplace").decode("utf-8")
            here = f"{path}.{name}" if path else name
            found.extend([here] if name != key else not_unicode(item, here))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(not_unicode(item, f"{path}[{index}]"))
    return found
