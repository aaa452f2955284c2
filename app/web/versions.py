"""Versions at the edge: the one parser for a form's hidden version and an API request's If-Match ETag.

Services take the version as a plain int; only the web layer reads the text a browser or a client sent.
"""

from __future__ import annotations

import re

#: A version as this app sends it in an ETag (``"3"``), weak or bare forms allowed; the API description uses it.
ETAG_PATTERN = r'^(W/)?("[0-9]{1,9}"|[0-9]{1,9})$|^\*$'
_VERSION = re.compile(r'^(?:W/)?(?:"([0-9]{1,9})"|([0-9]{1,9}))$')


def parse_version(value: str | None) -> int | None:
    """``3``, ``"3"`` or ``W/"3"`` as 3; None when there is no value. Raises ValueError for anything else."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    match = _VERSION.match(text)
    if match is None:
        raise ValueError(f"not a version: {text[:20]!r}")
    return int(match.group(1) or match.group(2))
