"""PagedTable and plain_paragraph lay out exactly what the LongTable and Paragraph they stand for would."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

import pypdf
from reportlab.lib.pagesizes import A4
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate

from app.pdf.paged import PagedTable, plain_paragraph
from app.pdf.styles import BODY, H3, STATEMENT, data_table_style


def _pdf(story: list) -> bytes:
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, invariant=1).build(story)
    return buffer.getvalue()


def _rows(n: int) -> list[list[str]]:
    rows = [["Organisation", "Homes", "Note"]]
    for i in range(n):
        name = f"Member {i}" + ("\nwith a second line" if i % 3 == 0 else "") + ("\nand a third" if i % 7 == 0 else "")
        rows.append([name, f"{i * 37:,}", "Grŵp & <Co>" if i % 5 == 0 else ""])
    rows.append(["Total\nof all\nmembers", "123,456", ""])
    return rows


def _long_table(rows: list[list[str]]) -> LongTable:
    return LongTable(rows, colWidths=[200, 80, 120], repeatRows=1, style=data_table_style((1,), totals=True))


def _paged_table(rows: list[list[str]]) -> PagedTable:
    styles = {(last, c): data_table_style((1,), totals=last, continued=c) for last in (False, True) for c in (0, 1)}

    def make(part, last, continued):
        return LongTable(part, colWidths=[200, 80, 120], repeatRows=1, style=styles[last, bool(continued)])

    return PagedTable(rows[0], rows[1:], make, line_height=10, padding=6)


def test_a_paged_table_gives_the_long_tables_pages_byte_for_byte():
    rows = _rows(400)
    expected = _pdf([Paragraph("Members", H3), _long_table(rows)])
    actual = _pdf([Paragraph("Members", H3), _paged_table(rows)])
    assert len(pypdf.PdfReader(io.BytesIO(expected)).pages) > 5
    assert actual == expected


def test_a_paged_table_that_fits_on_one_page_is_the_same_table():
    rows = _rows(6)
    assert _pdf([_paged_table(rows)]) == _pdf([_long_table(rows)])


def test_a_paged_table_starting_low_on_a_page_moves_on_like_the_long_table():
    rows = _rows(60)
    filler = [Paragraph("Filler paragraph. " * 40, BODY) for _ in range(5)]
    assert _pdf([*filler, _paged_table(rows)]) == _pdf([*filler, _long_table(rows)])


def test_plain_paragraph_draws_what_the_escaped_paragraph_draws():
    texts = [
        "Grŵp Cynefin & Cymdeithas Tai Eryri",
        '<img src="http://example.org/x.png"/> Ó Conaill — “quoted” £1,000 and €5',
        "A long statement of use " * 30,
        "Two lines\nof text",
        "  leading and trailing spaces  ",
    ]
    for style in (H3, STATEMENT):
        expected = _pdf([Paragraph(escape(t).replace("\n", "<br/>"), style) for t in texts])
        assert _pdf([plain_paragraph(t, style) for t in texts]) == expected
