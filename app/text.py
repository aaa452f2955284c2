"""One-line text typed by people (titles, names): what every place that stores such text does to it."""

from __future__ import annotations

import re

#: Bidi embedding, override and isolate controls: typed on purpose they reverse how a name reads
#: ("Homes\u202efdp.exe"); right-to-left scripts display correctly without them.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def one_line(value: str) -> str:
    """NUL bytes and bidi controls removed; line breaks, tabs and runs of spaces made single spaces."""
    return " ".join(_BIDI_CONTROLS.sub("", value.replace("\x00", "")).split())


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
