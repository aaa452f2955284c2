"""One-line text typed by people (titles, names): the rules every place that stores such text applies.

``check_one_line`` (titles) and ``check_name`` (organisation and person names) refuse what a one-line field
must not hold, with a message naming it; ``skeleton`` says when two names or addresses look the same.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

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
