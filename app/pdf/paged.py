"""Fast building blocks for the long parts of the bid pack: a table fed to the page in slices, and plain-text
paragraphs that skip reportlab's markup parser.

Both give the same pages, in the same bytes, as the LongTable and Paragraph they stand for; they only avoid
work that grows with the size of the pack (see the Benchmark section of docs/packs.md).
"""

from __future__ import annotations

from collections.abc import Callable

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, LongTable, Paragraph


class PagedTable(Flowable):
    """A long table with a repeated header, laid out a page at a time.

    Splitting a 2,000-row LongTable makes, at every page break, a new table of all the rows still to come
    (every cell's style set, the rows measured), so a long members table costs time in proportion to the
    square of its length. This flowable instead hands the page a LongTable of the header and just more rows
    than can fit (counted from a lower bound of each row's height: its lines of text at ``line_height`` plus
    ``padding``), lets it split as usual, keeps the part that fits and carries on from the first row that
    did not. The pages are the same as the one long table's, byte for byte: ROWBACKGROUNDS restarts on every
    page either way, the table's last row (the totals) is styled only in the slice that holds it, and a
    continuation gets the hairline above its first row that reportlab's split adds.

    ``make_table(rows, last, continued)`` builds the LongTable for ``rows`` (header first); ``last`` says
    whether they end with the table's final row, ``continued`` whether an earlier page holds the rows before.
    """

    def __init__(
        self,
        header: list,
        rows: list[list],
        make_table: Callable[[list[list], bool, bool], LongTable],
        line_height: float,
        padding: float,
        continued: bool = False,
        heights: list[float] | None = None,
    ):
        super().__init__()
        self.header = header
        self.rows = rows
        self.make_table = make_table
        self.line_height = line_height
        self.padding = padding
        self.continued = continued
        self.heights = heights if heights is not None else [self._least_height(row) for row in rows]
        self._slice_for: tuple[float, LongTable] | None = None

    def _least_height(self, row: list) -> float:
        lines = max((cell.count("\n") + 1 if isinstance(cell, str) else 1) for cell in row)
        return lines * self.line_height + self.padding

    def _slice(self, avail_height: float) -> LongTable:
        if self._slice_for is not None and self._slice_for[0] == avail_height:
            return self._slice_for[1]
        count, used = 0, 0.0
        while count < len(self.rows) and used <= avail_height:  # every row that may fit, and one more
            used += self.heights[count]
            count += 1
        table = self.make_table([self.header, *self.rows[:count]], count == len(self.rows), self.continued)
        self._slice_for = (avail_height, table)
        return table

    def wrap(self, avail_width, avail_height):
        self.width, self.height = self._slice(avail_height).wrap(avail_width, avail_height)
        return self.width, self.height

    def split(self, avail_width, avail_height):
        parts = self._slice(avail_height).split(avail_width, avail_height)
        if not parts:
            return []
        first = parts[0]
        used = len(first._cellvalues) - 1  # rows placed on this page, not counting the header
        if used >= len(self.rows):
            return [first]
        rest = PagedTable(
            self.header,
            self.rows[used:],
            self.make_table,
            self.line_height,
            self.padding,
            continued=True,
            heights=self.heights[used:],
        )
        return [first, rest]

    def drawOn(self, canvas, x, y, _sW=0):
        self._slice_for[1].drawOn(canvas, x, y, _sW)

    def getSpaceBefore(self):
        return 0

    def getSpaceAfter(self):
        return 0


_TEMPLATES: dict[str, object] = {}


def plain_paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    """A Paragraph of ``text`` drawn literally: no markup is parsed, so nothing in it can inject tags.

    The same as ``Paragraph(escape(text), style)``, byte for byte in the PDF, without running reportlab's
    HTML parser for each of the thousands of headings and statements in a large pack. Text with a line
    break (it needs ``<br/>``) or with ``&``, ``<`` or ``>`` (the parser splits its run at each entity) goes
    through the parser as usual.
    """
    if "\n" in text or not text.strip() or "&" in text or "<" in text or ">" in text:
        from xml.sax.saxutils import escape

        return Paragraph(escape(text).replace("\n", "<br/>"), style)
    template = _TEMPLATES.get(style.name)
    if template is None or template[0] is not style:
        parsed = Paragraph("x", style)
        template = _TEMPLATES[style.name] = (style, parsed.frags[0])
    return Paragraph(text, style, frags=[template[1].clone(text=text)])
