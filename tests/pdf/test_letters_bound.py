"""Letters of commitment bound into the bid pack: divider pages, bookmarks, page numbers, damaged letters."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace

import pypdf
from reportlab.pdfgen import canvas

from app.pdf import build_pdf
from app.pdf.figures import sorted_members
from tests.pdf.sample import make_pack
from tests.pdf.test_builder import flat, page_texts


def letter_pdf(name: str, pages: int = 2) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, invariant=1)
    for number in range(1, pages + 1):
        page.drawString(72, 720, f"Letter from {name}, page {number} of {pages}")
        page.showPage()
    page.save()
    return buffer.getvalue()


def pack_with_letters(n: int, pages: int = 2, damaged: int | None = None):
    """A pack of ``n`` members, each with a real letter of ``pages`` pages (one damaged if asked)."""
    data = make_pack(n)
    files, members = [], []
    for i, member in enumerate(data.members):
        content = letter_pdf(member.organisation_name, pages)
        if i == damaged:
            content = content[:200] + b"\x00garbage" * 20 + b"\n%%EOF\n"
        digest = hashlib.sha256(content).hexdigest()
        name = f"letters/letter-{i + 1}-{digest[:8]}.pdf"
        members.append(replace(member, letter_sha256=digest, letter_filename=name))
        files.append((name, content))
    return replace(data, members=tuple(members)), files


def test_page_count_is_the_pack_plus_every_letters_pages_and_bookmarks_point_at_dividers():
    data, files = pack_with_letters(6, pages=2)
    bare = len(pypdf.PdfReader(io.BytesIO(build_pdf(data))).pages)
    pdf = build_pdf(data, files)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    dividers = len(files)  # one divider page before each letter
    assert len(reader.pages) == bare + dividers + 2 * len(files)
    texts = page_texts(pdf)
    outline = reader.outline
    index = next(i for i, item in enumerate(outline) if not isinstance(item, list) and "bound in" in item.title)
    children = outline[index + 1]
    assert [c.title for c in children] == [m.organisation_name for m in sorted_members(data)]
    for child in children:
        page = reader.get_destination_page_number(child)
        member = next(m for m in data.members if m.organisation_name == child.title)
        divider = flat(texts[page])
        assert child.title in divider and member.letter_sha256 in divider
        assert f"Letter from {child.title}, page 1 of 2" in texts[page + 1]
        assert f"Letter from {child.title}, page 2 of 2" in texts[page + 2]
    # Page numbers printed on the pack's own pages count the letters' pages.
    total = len(reader.pages)
    assert f"Page {total - 2} of {total}" in texts[-3]  # the last divider


def test_letters_table_gives_each_letters_page():
    data, files = pack_with_letters(4, pages=1)
    pdf = build_pdf(data, files)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    texts = page_texts(pdf)
    children = reader.outline[-1]
    table_text = next(flat(t) for t in texts if "Organisation File SHA-256 Page" in flat(t))
    for child in children:
        member = next(m for m in data.members if m.organisation_name == child.title)
        printed = reader.get_destination_page_number(child) + 1
        assert f"{member.letter_sha256} {printed}" in table_text


def test_a_damaged_letter_is_listed_with_its_reason_and_the_pack_still_builds():
    data, files = pack_with_letters(3, pages=2, damaged=1)
    pdf = build_pdf(data, files)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    bare = len(pypdf.PdfReader(io.BytesIO(build_pdf(data))).pages)
    assert len(reader.pages) == bare + 2 * 3  # two good letters: a divider and two pages each
    text = flat(" ".join(page_texts(pdf)))
    damaged = data.members[1]
    assert "Letters not bound in" in text
    assert f"{damaged.organisation_name} ({damaged.letter_filename}): not bound in because" in text
    assert "Not bound" in text
    assert f"Letter from {damaged.organisation_name}" not in text


def test_an_encrypted_letter_is_not_bound_but_listed():
    data, files = pack_with_letters(2, pages=1)
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, encrypt="secret", invariant=1)
    page.drawString(72, 720, "Locked letter")
    page.showPage()
    page.save()
    locked = buffer.getvalue()
    digest = hashlib.sha256(locked).hexdigest()
    members = (replace(data.members[0], letter_sha256=digest, letter_filename="letters/locked.pdf"), data.members[1])
    data = replace(data, members=members)
    pdf = build_pdf(data, [("letters/locked.pdf", locked), files[1]])
    text = flat(" ".join(page_texts(pdf)))
    assert "not bound in because the PDF is encrypted" in text


def test_same_letters_give_the_same_bytes():
    data, files = pack_with_letters(3, pages=1)
    assert build_pdf(data, files) == build_pdf(data, files)
