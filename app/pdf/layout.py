"""Page furniture for the bid pack: templates, running header and footer, outline, "Page n of N", contents."""

from __future__ import annotations

from datetime import UTC, datetime

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from app.pdf.data import PackData
from app.pdf.styles import (
    BOLD,
    FONT,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    MUTED,
    NAVY,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    RULE,
)
from app.pdf.text import fit_width
from app.text import display_line, london_datetime

FOOTER_SIZE = 7.5


def anchor(flowable: Flowable, key: str, title: str, level: int = 0, closed: bool = False) -> Flowable:
    """Mark a heading so that, once placed, it gets a bookmark, an outline entry and a contents page number."""
    flowable._pack_anchor = (key, title, level, closed)
    return flowable


def _page_form(number: int) -> str:
    return f"packPage{number}"


def _toc_form(key: str) -> str:
    return f"packToc{key}"


def canvas_class(generated_at: datetime, toc_keys: list[str]) -> type[Canvas]:
    """A Canvas that stamps the PDF dates with ``generated_at`` and fills in page totals when saved.

    "Page 3 of 12" and the contents' page numbers are known only at the end, so pages draw named
    form XObjects that are defined in :meth:`save`: one pass, and links and bookmarks stay exact.
    """

    class PackCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            stamp = self._doc._timeStamp  # with invariant output, reportlab's fixed stamp; use ours
            stamp.YMDhms = tuple(generated_at.astimezone(UTC).timetuple())[:6]
            stamp.dhh = stamp.dmm = 0
            self.anchor_pages: dict[str, int] = {}
            self.setPageCompression(1)
            self.showOutline()

        def save(self):
            total = self.getPageNumber() - 1  # the final showPage has already moved past the last page
            for number in range(1, total + 1):
                self.beginForm(_page_form(number), lowerx=-200, lowery=-4, upperx=2, uppery=12)
                self.setFont(FONT, FOOTER_SIZE)
                self.setFillColor(MUTED)
                self.drawRightString(0, 0, f"Page {number} of {total}")
                self.endForm()
            for key in toc_keys:
                self.beginForm(_toc_form(key), lowerx=-60, lowery=-4, upperx=2, uppery=14)
                self.setFont(FONT, 10.5)
                self.setFillColor(NAVY)
                self.drawRightString(0, 0, str(self.anchor_pages.get(key, "–")))
                self.endForm()
            super().save()

    return PackCanvas


class PackDocTemplate(BaseDocTemplate):
    """A4 with a cover template and a body template; records bookmarks as headings are placed."""

    def __init__(self, filename, data: PackData, **kwargs):
        self.pack = data
        title = display_line(data.bid_title, 300)
        super().__init__(
            filename,
            pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
            leftMargin=MARGIN_LEFT,
            rightMargin=MARGIN_RIGHT,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
            title=title,
            author=display_line(data.convenor_name, 300),
            subject=display_line(data.scheme, 300),
            creator="Consortium Bid Manager",
            keywords=["bid pack", f"version {data.version}"],
            invariant=1,  # same data, same bytes; the dates come from generated_at
            **kwargs,
        )
        self.header_text = f"{title} · Version {data.version}"
        self.stamp_text = (
            f"Version {data.version}, generated {london_datetime(data.generated_at)} "
            f"by {display_line(data.generated_by, 200)}"
        )
        frame = Frame(
            self.leftMargin, self.bottomMargin, self.width, self.height, id="body", leftPadding=0, rightPadding=0
        )
        cover_frame = Frame(
            self.leftMargin,
            self.bottomMargin,
            self.width,
            PAGE_HEIGHT - self.bottomMargin - 16 * mm,
            id="cover",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
        )
        self.addPageTemplates(
            [
                PageTemplate("cover", [cover_frame], onPage=self._draw_cover_page),
                PageTemplate("body", [frame], onPage=self._draw_body_page),
            ]
        )

    def afterFlowable(self, flowable):
        mark = getattr(flowable, "_pack_anchor", None)
        if mark is None:
            return
        key, title, level, closed = mark
        canv = self.canv
        top = self.frame._y + flowable.getSpaceAfter() + getattr(flowable, "height", 0) + 4
        canv.bookmarkPage(key, fit="XYZ", left=0, top=top)
        canv.addOutlineEntry(title, key, level=level, closed=closed)
        canv.anchor_pages[key] = canv.getPageNumber()

    def _footer(self, canv: Canvas) -> None:
        y = MARGIN_BOTTOM - 12 * mm
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.5)
        canv.line(self.leftMargin, y + 11, PAGE_WIDTH - self.rightMargin, y + 11)
        canv.setFont(FONT, FOOTER_SIZE)
        canv.setFillColor(MUTED)
        canv.drawString(self.leftMargin, y, fit_width(self.stamp_text, FONT, FOOTER_SIZE, self.width - 80))
        canv.saveState()
        canv.translate(PAGE_WIDTH - self.rightMargin, y)
        canv.doForm(_page_form(canv.getPageNumber()))
        canv.restoreState()

    def _draw_cover_page(self, canv: Canvas, doc) -> None:
        canv.saveState()
        canv.setFillColor(NAVY)
        canv.rect(0, PAGE_HEIGHT - 6, PAGE_WIDTH, 6, stroke=0, fill=1)
        self._footer(canv)
        canv.restoreState()

    def _draw_body_page(self, canv: Canvas, doc) -> None:
        canv.saveState()
        y = PAGE_HEIGHT - MARGIN_TOP + 10
        canv.setFont(BOLD, FOOTER_SIZE + 0.5)
        canv.setFillColor(NAVY)
        canv.drawString(self.leftMargin, y, fit_width(self.header_text, BOLD, FOOTER_SIZE + 0.5, self.width - 110))
        canv.setFont(FONT, FOOTER_SIZE)
        canv.setFillColor(MUTED)
        canv.drawRightString(PAGE_WIDTH - self.rightMargin, y, "Consortium bid pack")
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.5)
        canv.line(self.leftMargin, y - 5, PAGE_WIDTH - self.rightMargin, y - 5)
        self._footer(canv)
        canv.restoreState()


class Contents(Flowable):
    """A table of contents whose page numbers are filled in when the document is saved, with links."""

    row_height = 19

    def __init__(self, entries: list[tuple[str, str, int]]):
        super().__init__()
        self.entries = entries  #: (key, title, level)

    def wrap(self, avail_width, avail_height):
        self.width = avail_width
        self.height = self.row_height * len(self.entries)
        return self.width, self.height

    def draw(self):
        canv = self.canv
        y = self.height - self.row_height + 5
        for key, title, level in self.entries:
            indent = 16 * level
            font = BOLD if level == 0 else FONT
            canv.setFont(font, 10.5)
            canv.setFillColor(NAVY)
            text = fit_width(title, font, 10.5, self.width - indent - 60)
            canv.drawString(indent, y, text)
            start = indent + canv.stringWidth(text, font, 10.5) + 6
            canv.setStrokeColor(RULE)
            canv.setDash(1, 2)
            canv.line(start, y + 1, self.width - 26, y + 1)
            canv.setDash()
            canv.saveState()
            canv.translate(self.width, y)
            canv.doForm(_toc_form(key))
            canv.restoreState()
            canv.linkRect("", key, (0, y - 4, self.width, y + 12), relative=1, thickness=0)
            y -= self.row_height
