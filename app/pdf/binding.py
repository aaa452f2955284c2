"""Letters of commitment bound into the bid pack: each letter checked with pypdf, then its pages inserted.

A letter that cannot be read or merged is never fatal: it is reported with its reason, listed in the pack
as not bound, and still travels as a file in the ZIP.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass, replace

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from app.pdf.data import PackData, PackMember
from app.pdf.figures import sorted_members

#: The most pages one letter may add to the pack; a longer file is listed, not bound.
MAX_LETTER_PAGES = 60


@dataclass(frozen=True)
class BoundLetter:
    """One supplied letter file: who it belongs to, how many pages it adds, or why it is not bound."""

    index: int
    name: str  #: its name in the ZIP, e.g. letters/Riverside-Homes-1a2b3c4d.pdf
    content: bytes
    sha256: str
    member: PackMember | None
    pages: int = 0
    reason: str | None = None  #: set when the letter is not bound

    @property
    def key(self) -> str:
        return f"letter{self.index}"

    @property
    def bound(self) -> bool:
        return self.reason is None


class BindError(Exception):
    def __init__(self, index: int, reason: str):
        super().__init__(reason)
        self.index, self.reason = index, reason


def _reader(content: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(content), strict=False)


def inspect(files: list[tuple[str, bytes]], data: PackData) -> list[BoundLetter]:
    """The letters in the members table's order (largest pledge first), then any unmatched file, checked."""
    by_digest = {m.letter_sha256.lower(): m for m in data.members if m.letter_sha256}
    order = {m.letter_sha256: i for i, m in enumerate(sorted_members(data)) if m.letter_sha256}
    entries = []
    for name, content in files:
        digest = hashlib.sha256(content).hexdigest()
        entries.append((name, content, digest, by_digest.get(digest)))
    entries.sort(key=lambda e: (order.get(e[3].letter_sha256, len(order)) if e[3] else len(order), e[0]))
    return [_check(i, *entry) for i, entry in enumerate(entries)]


def _check(index: int, name: str, content: bytes, digest: str, member: PackMember | None) -> BoundLetter:
    letter = BoundLetter(index, name, content, digest, member)
    try:
        with _quiet():
            reader = _reader(content)
            if reader.is_encrypted:
                return replace(letter, reason="the PDF is encrypted, so its pages cannot be bound in")
            pages = len(reader.pages)
            for page in reader.pages:
                page.mediabox  # noqa: B018 - a page without a usable box cannot be placed
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
        return replace(letter, reason=f"the PDF could not be read ({_short(exc)})")
    if pages == 0:
        return replace(letter, reason="the PDF has no pages")
    if pages > MAX_LETTER_PAGES:
        return replace(letter, reason=f"the letter has {pages} pages; at most {MAX_LETTER_PAGES} are bound in")
    return replace(letter, pages=pages)


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 80 else text[:79] + "…"


def bind(pack: bytes, letters: list[BoundLetter], divider_pages: dict[str, int]) -> bytes:
    """``pack`` with each bound letter's pages inserted after its divider page (1-based, in ``pack``).

    The pack's own bookmarks, links and metadata are kept; the letters' own outlines and form fields are
    not carried over. Raises BindError naming the first letter that fails to merge.
    """
    with _quiet():
        writer = PdfWriter(clone_from=_reader(pack))
        inserted = 0
        for letter in sorted((x for x in letters if x.bound), key=lambda x: divider_pages[x.key]):
            position = divider_pages[letter.key] + inserted  # 0-based index of the page after the divider
            try:
                writer.merge(position, _reader(letter.content), import_outline=False, excluded_fields=("/Annots", "/B"))
            except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
                raise BindError(letter.index, f"its pages could not be merged ({_short(exc)})") from exc
            inserted += letter.pages
        out = io.BytesIO()
        writer.write(out)
    return out.getvalue()


class _quiet:
    """pypdf logs each repair it makes in a damaged file; the reason is reported in the pack instead."""

    def __enter__(self):
        self.logger = logging.getLogger("pypdf")
        self.level = self.logger.level
        self.logger.setLevel(logging.CRITICAL)

    def __exit__(self, *exc):
        self.logger.setLevel(self.level)
        return False
