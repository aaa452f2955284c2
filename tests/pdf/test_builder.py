"""The bid pack PDF: content, totals, hostile text, pagination, metadata and navigation (read back with pypdf)."""

from __future__ import annotations

import hashlib
import io
import re
import socket
from dataclasses import replace
from datetime import UTC

import pypdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.money import format_pence
from app.pdf import build_pdf
from app.pdf.text import display_line as one_line
from tests.pdf.sample import make_pack

MEMBERS_HEADER = "Organisation Identifier Regions Homes Amount Status Letter"


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def body(pages: list[str]) -> str:
    """The pages' text without the running header and footer, so content split across pages reads on."""
    furniture = re.compile(r"^(.* · Version \d+|Consortium bid pack|Version \d+, generated .*|Page \d+ of \d+)$")
    return "\n".join(line for page in pages for line in page.splitlines() if not furniture.match(line))


def flat(text: str) -> str:
    """Whitespace collapsed, so text wrapped across lines or cells compares as one run."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def sample():
    data = make_pack(39)
    pdf = build_pdf(data)
    return data, pdf, page_texts(pdf)


def test_is_a_pdf_with_several_pages(sample):
    _data, pdf, pages = sample
    assert pdf.startswith(b"%PDF-")
    assert len(pages) >= 8


def test_every_member_name_appears(sample):
    data, _pdf, pages = sample
    text = flat(" ".join(pages))
    missing = [m.organisation_name for m in data.members if flat(m.organisation_name) not in text]
    assert missing == []


def test_totals_are_the_sums_of_the_data_to_the_penny(sample):
    data, _pdf, pages = sample
    total = sum(m.amount_pence for m in data.members)
    homes = sum(m.homes for m in data.members)
    assert total % 100 != 0, "the sample should carry pence so the check is to the penny"
    text = flat(" ".join(pages))
    # The members table's totals row: label, then homes, then the amount.
    row = re.search(r"Total: 39 members .*? with a letter (\S+) (\S+)", text)
    assert row is not None
    assert row.group(1) == f"{homes:,}"
    assert row.group(2) == format_pence(total)
    # And the headline.
    assert f"{format_pence(total)} of match funding pledged by 39 member organisations" in text


def test_members_table_is_sorted_by_amount_descending(sample):
    data, _pdf, pages = sample
    text = flat(" ".join(pages))
    start = text.index(MEMBERS_HEADER)
    positions = []
    for member in sorted(data.members, key=lambda m: (-m.amount_pence, m.organisation_name.casefold()))[:10]:
        positions.append(text.index(flat(member.organisation_name), start))
    assert positions == sorted(positions)


def test_running_header_on_every_page_but_the_cover(sample):
    data, _pdf, pages = sample
    header = f"{data.bid_title} · Version {data.version}"
    assert header not in pages[0]
    assert all(header in page for page in pages[1:])


def test_page_n_of_total_and_generation_stamp_on_every_page(sample):
    _data, _pdf, pages = sample
    total = len(pages)
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in page
        assert "Version 3, generated 5:02 pm on Friday 14 August 2026 by Priya Shah" in page


def test_metadata(sample):
    data, pdf, _pages = sample
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    meta = reader.metadata
    assert meta.title == data.bid_title
    assert meta.author == data.convenor_name
    assert meta.subject == data.scheme
    assert meta.creation_date.astimezone(UTC) == data.generated_at


def test_outline_points_at_the_right_pages(sample):
    _data, pdf, pages = sample
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    top = [item for item in reader.outline if not isinstance(item, list)]
    titles = [item.title for item in top]
    assert titles[:2] == ["Headline figures", "The case for the bid"]
    assert "Member organisations" in titles and "Appendix: statements of use" in titles
    for item in top:
        page = reader.get_destination_page_number(item)
        assert item.title in flat(pages[page]), item.title


def test_contents_page_numbers_match_the_outline(sample):
    _data, pdf, pages = sample
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    members = next(i for i in reader.outline if not isinstance(i, list) and i.title == "Member organisations")
    expected = reader.get_destination_page_number(members) + 1
    assert f"Member organisations {expected} " in flat(pages[0])


def test_same_data_gives_the_same_bytes(sample):
    data, pdf, _pages = sample
    assert build_pdf(data) == pdf


def test_charts_come_with_tables_of_the_same_numbers(sample):
    _data, _pdf, pages = sample
    text = flat(" ".join(pages))
    assert "Region Members Match funding Share Homes covered Share" in text
    assert "Region Homes covered Members Shading band" in text
    assert "Period (UK time) Change Running total Of target" in text


HOSTILE = [
    '<img src="http://127.0.0.1:9/x.png"/>',
    "A & B <para>",
    '<font color="red" size="40">Loud</font> Homes',
    "Evil\u202eFDP.exe Housing",
    "Homes for All \U0001f3e0 Trust",
    "Zero\u200bWidth\u200dHousing",
    "Null\x00Byte Homes",
    "&amp; Already Escaped",
]


@pytest.fixture(scope="module")
def hostile():
    statements = ["ABCDEFGHIJ" * 500, ("Long statement words. " * 230)[:5000], "line one\nline two <br/> & more"]
    data = make_pack(12, names=HOSTILE, statements=statements)
    connections: list = []
    real_connect = socket.socket.connect

    def refuse(self, address):  # any fetch would come through here
        connections.append(address)
        raise OSError("network disabled in tests")

    socket.socket.connect = refuse
    try:
        pdf = build_pdf(data)
    finally:
        socket.socket.connect = real_connect
    return data, pdf, page_texts(pdf), connections


def test_hostile_names_print_literally_and_fetch_nothing(hostile):
    _data, _pdf, pages, connections = hostile
    text = flat(" ".join(pages))
    assert connections == []
    assert '<img src="http://127.0.0.1:9/x.png"/>' in text
    assert "A & B <para>" in text
    assert '<font color="red" size="40">Loud</font> Homes' in text
    assert "&amp; Already Escaped" in text
    assert "&amp;amp;" not in text


def test_invisible_and_control_characters_are_dropped(hostile):
    _data, _pdf, pages, _connections = hostile
    text = " ".join(pages)
    assert "\x00" not in text and "\u202e" not in text and "\u200b" not in text
    assert "NullByte Homes" in text
    assert "EvilFDP.exe Housing" in text
    assert "ZeroWidthHousing" in text
    assert "Homes for All" in text  # the emoji itself may draw as a box in the base fonts


def test_long_statements_wrap_and_survive_whole(hostile):
    _data, _pdf, pages, _connections = hostile
    squashed = "".join(body(pages).split())
    assert "ABCDEFGHIJ" * 500 in squashed  # one 5,000-character word, broken across lines
    assert "linetwo<br/>&more" in squashed  # newlines become line breaks; markup stays text


def test_letters_are_listed_with_digests_not_merged():
    data = make_pack(5)
    member = next(m for m in data.members if m.letter_sha256)
    unmatched = b"%PDF-1.4 not a member's letter"
    pdf = build_pdf(data, letters=[("stray.pdf", unmatched)])
    text = flat(" ".join(page_texts(pdf)))
    assert member.letter_sha256 in text
    assert hashlib.sha256(unmatched).hexdigest() in text
    assert "No matching member" in text
    assert "not a member's letter" not in text  # listed, not appended


def test_five_hundred_members_paginate_with_repeated_header():
    data = make_pack(500, seed=5)
    pages = [flat(p) for p in page_texts(build_pdf(data))]
    with_header = [i for i, page in enumerate(pages) if MEMBERS_HEADER in page]
    assert len(with_header) >= 5
    assert with_header == list(range(with_header[0], with_header[-1] + 1))  # consecutive pages
    assert f"Total: {500:,} members" in pages[with_header[-1]]
    text = " ".join(pages)
    assert all(flat(m.organisation_name) in text for m in data.members)


def test_an_empty_bid_still_builds():
    data = replace(make_pack(3), members=(), timeline=(), thresholds=())
    text = flat(" ".join(page_texts(build_pdf(data))))
    assert "No member organisation has pledged yet." in text
    assert "No pledges have been made yet." in text
    assert "£0 of match funding pledged by 0 member organisations" in text


# Names from printable ASCII (markup characters included) and a few accents: all drawable in Helvetica.
NAME_ALPHABET = st.sampled_from(list("abcXYZ019 <>&\"'/=;#%-_.()[]{}@+!?éüßÆ£€"))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(NAME_ALPHABET, min_size=1, max_size=60).filter(lambda s: s.strip()))
def test_any_printable_name_appears_literally(name):
    data = make_pack(2, names=[name])
    text = flat(" ".join(page_texts(build_pdf(data))))
    assert one_line(name) in text


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(max_size=80), statement=st.text(max_size=300))
def test_any_text_at_all_never_crashes(name, statement):
    pdf = build_pdf(make_pack(2, names=[name], statements=[statement]))
    assert pdf.startswith(b"%PDF-")


def test_a_long_generation_stamp_wraps_in_the_footer_instead_of_losing_the_name():
    data = replace(make_pack(5), generated_by="Sam Convenor, Community Housing Alliance of the North and Midlands")
    pages = page_texts(build_pdf(data))
    assert len(pages) >= 2
    for text in pages:
        assert "by Sam Convenor, Community Housing Alliance of the North and Midlands" in flat(text)
        assert "…" not in text.splitlines()[-1]


def test_a_short_generation_stamp_stays_on_one_line(sample):
    _data, _pdf, pages = sample
    assert all(
        any(re.match(r"Version \d+, generated .* by Priya Shah$", line) for line in p.splitlines()) for p in pages
    )
