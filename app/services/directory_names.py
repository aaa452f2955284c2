"""When two directory names are the same organisation: the duplicate key, and the look-alike warning.

Equal after folding case, punctuation, "&"/"and", "Ltd"/"Limited"/"Limited company" and
"Co-operative"/"Cooperative", with a closing "Limited" left out: a possible duplicate. Welsh (and other)
diacritics are compared as themselves: "Grŵp" and "Grwp" are different names, which only earns a warning.
"""

from __future__ import annotations

import re
import unicodedata

_SUFFIXES = [
    (re.compile(r"\bco\s*-?\s*operative\b"), "cooperative"),
    (re.compile(r"\blimited company\b"), "limited"),
    (re.compile(r"\bltd\b"), "limited"),
    (re.compile(r"&"), " and "),
]


def duplicate_key(name: str) -> str:
    """The name with case, punctuation, "&", "Ltd" and "Co-operative" spellings folded; accents kept."""
    text = unicodedata.normalize("NFC", name).casefold()
    for pattern, replacement in _SUFFIXES:
        text = pattern.sub(replacement, text)
    text = re.sub(r"['’]", "", text)  # St Mungo's = St Mungos
    text = re.sub(r"[^\w\s]|_", " ", text)
    for pattern, replacement in _SUFFIXES[:3]:  # "co operative" once the hyphen is a space
        text = pattern.sub(replacement, text)
    words = text.split()
    if len(words) > 1 and words[-1] == "limited":  # "Alpha Homes Ltd" is Alpha Homes
        words.pop()
    return " ".join(words)


def accent_folded(key: str) -> str:
    """A duplicate key with diacritics removed: equal only here means "looks like", not "is"."""
    return "".join(c for c in unicodedata.normalize("NFD", key) if not unicodedata.combining(c))
