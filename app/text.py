"""One-line text typed by people (titles, names): what every place that stores such text does to it."""

from __future__ import annotations

import re

#: Bidi embedding, override and isolate controls: typed on purpose they reverse how a name reads
#: ("Homes\u202efdp.exe"); right-to-left scripts display correctly without them.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def one_line(value: str) -> str:
    """NUL bytes and bidi controls removed; line breaks, tabs and runs of spaces made single spaces."""
    return " ".join(_BIDI_CONTROLS.sub("", value.replace("\x00", "")).split())
