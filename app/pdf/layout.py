"""Page furniture for the bid pack: templates, running header and footer, outline, "Page n of N", contents."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from app.pdf.data import PackData
from app.pdf.styles import (
    BOLD,
    FONT,
    INK,
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
from app.pdf.text import display_line, fit_width, wrap_lines
from app.text import london_datetime

FOOTER_SIZE = 7.5
#: The cover's frame: from 16 mm below the top edge to the bottom margin.
COVER_HEIGHT = PAGE_HEIGHT - MARGIN_BOTTOM - 16 * mm


def anchor(
    flowable: Flowable, key: str, title: str, level: int = 0, closed: bool = False, insert_after: int = 0
) -> Flowable:
    """Mark a heading so that, once placed, it gets a bookmark, an outline entry and a contents page number.

    ``insert_after`` is the number of pages (a bound-in letter) that will follow this heading's page once
    the document is saved: the page numbers printed after it count them.
    """
    flowable._pack_anchor = (key, title, level, closed, insert_after)
    return flowable


def _page_form(number: int) -> str:
    return f"packPage{number}"


def _toc_form(key: str) -> str:
    return f"packToc{key}"


def _ref_form(key: str) -> str:
    return f"packRef{key}"


def canvas_class(
    generated_at: datetime, toc_keys: list[str], ref_keys: list[str] = (), record: dict | None = None
) -> type[Canvas]:
    """A Canvas that stamps the PDF dates with ``generated_at`` and fills in page totals when saved.

    "Page 3 of 12" and the contents' page numbers are known only at the end, so pages draw named
    form XObjects that are defined in :meth:`save`: one pass, and links and bookmarks stay exact.
    Page numbers count the pages of letters that are bound in after their divider pages. ``record``,
    when given, receives each anchor's page in this document (before any letter is inserted).
    """

    class PackCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            stamp = self._doc._timeStamp  # with invariant output, reportlab's fixed stamp; use ours
            stamp.YMDhms = tuple(generated_at.astimezone(UTC).timetuple())[:6]
            stamp.dhh = stamp.dmm = 0
            self.anchor_pages: dict[str, int] = {}
            self.inserts: dict[int, int] = {}  #: page → pages bound in after it
            self.setPageCompression(1)
            self.showOutline()

        def final_number(self, page: int) -> int:
            return page + sum(n for after, n in self.inserts.items() if after < page)

        def save(self):
            total = self.getPageNumber() - 1  # the final showPage has already moved past the last page
            grand = total + sum(self.inserts.values())
            for number in range(1, total + 1):
                self.beginForm(_page_form(number), lowerx=-200, lowery=-4, upperx=2, uppery=12)
                self.setFont(FONT, FOOTER_SIZE)
                self.setFillColor(MUTED)
                self.drawRightString(0, 0, f"Page {self.final_number(number)} of {grand}")
                self.endForm()
            for keys, form, size, colour in ((toc_keys, _toc_form, 10.5, NAVY), (ref_keys, _ref_form, 8, INK)):
                for key in keys:
                    page = self.anchor_pages.get(key)
                    self.beginForm(form(key), lowerx=-60, lowery=-4, upperx=2, uppery=14)
                    self.setFont(FONT, size)
                    self.setFillColor(colour)
                    self.drawRightString(0, 0, str(self.final_number(page)) if page else "–")
                    self.endForm()
            if record is not None:
                record.update(self.anchor_pages)
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
            lang="en-GB",
            initialFontName=FONT,
            **kwargs,
        )
        self.header_text = f"{title} · Version {data.version}"
        body = data.body
        self.brand = colors.HexColor(body.accent) if body and body.accent else NAVY
        self.header_right = (
            display_line(body.display_name, 200) if body and body.display_name else "Consortium bid pack"
        )
        self.logo = ImageReader(io.BytesIO(body.logo)) if body and body.logo else None
        self.stamp_text = (
            f"Version {data.version}, generated {london_datetime(data.generated_at)} "
            f"by {display_line(data.generated_by, 200)}"
        )
        # Beside "Page 1,234 of 1,234": on one line if it fits, else on two (the second cut to fit), never
        # cutting the name of whoever generated the pack on the first line.
        room = self.width - 80
        lines = [self.stamp_text] if stringWidth(self.stamp_text, FONT, FOOTER_SIZE) <= room else []
        lines = lines or wrap_lines(self.stamp_text, FONT, FOOTER_SIZE, room)
        self.stamp_lines = [lines[0], fit_width(" ".join(lines[1:]), FONT, FOOTER_SIZE, room)] if lines[1:] else lines
        frame = Frame(
            self.leftMargin, self.bottomMargin, self.width, self.height, id="body", leftPadding=0, rightPadding=0
        )
        cover_frame = Frame(
            self.leftMargin,
            self.bottomMargin,
            self.width,
            COVER_HEIGHT,
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
        key, title, level, closed, insert_after = mark
        canv = self.canv
        top = self.frame._y + flowable.getSpaceAfter() + getattr(flowable, "height", 0) + 4
        canv.bookmarkPage(key, fit="XYZ", left=0, top=top)
        canv.addOutlineEntry(title, key, level=level, closed=closed)
        canv.anchor_pages[key] = canv.getPageNumber()
        if insert_after:
            canv.inserts[canv.getPageNumber()] = insert_after

    def _footer(self, canv: Canvas) -> None:
        y = MARGIN_BOTTOM - 12 * mm
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.5)
        canv.line(self.leftMargin, y + 11, PAGE_WIDTH - self.rightMargin, y + 11)
        canv.setFont(FONT, FOOTER_SIZE)
        canv.setFillColor(MUTED)
        for number, line in enumerate(self.stamp_lines):
            canv.drawString(self.leftMargin, y - number * (FOOTER_SIZE + 1.5), line)
        canv.saveState()
        canv.translate(PAGE_WIDTH - self.rightMargin, y)
        canv.doForm(_page_form(canv.getPageNumber()))
        canv.restoreState()

    def _draw_cover_page(self, canv: Canvas, doc) -> None:
        canv.saveState()
        canv.setFillColor(self.brand)
        canv.rect(0, PAGE_HEIGHT - 6, PAGE_WIDTH, 6, stroke=0, fill=1)
        self._footer(canv)
        canv.restoreState()

    def _draw_body_page(self, canv: Canvas, doc) -> None:
        canv.saveState()
        y = PAGE_HEIGHT - MARGIN_TOP + 10
        right_edge = PAGE_WIDTH - self.rightMargin
        if self.logo is not None:  # drawn from one image object on every page
            logo_w, logo_h = _fit_box(self.logo, 60, 14)
            canv.drawImage(self.logo, right_edge - logo_w, y - 3, logo_w, logo_h, mask="auto")
            right_edge -= logo_w + 6
        right = fit_width(self.header_right, FONT, FOOTER_SIZE, self.width * 0.4)
        canv.setFont(FONT, FOOTER_SIZE)
        canv.setFillColor(MUTED)
        canv.drawRightString(right_edge, y, right)
        room = right_edge - self.leftMargin - canv.stringWidth(right, FONT, FOOTER_SIZE) - 14
        canv.setFont(BOLD, FOOTER_SIZE)
        canv.setFillColor(self.brand)
        canv.drawString(self.leftMargin, y, fit_width(self.header_text, BOLD, FOOTER_SIZE, room))
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.5)
        canv.line(self.leftMargin, y - 5, PAGE_WIDTH - self.rightMargin, y - 5)
        self._footer(canv)
        canv.restoreState()


def _fit_box(image: ImageReader, max_w: float, max_h: float) -> tuple[float, float]:
    """The largest size within max_w × max_h that keeps the image's proportions."""
    width, height = image.getSize()
    scale = min(max_w / width, max_h / height)
    return width * scale, height * scale


def logo_size(logo: bytes, max_w: float, max_h: float) -> tuple[float, float]:
    return _fit_box(ImageReader(io.BytesIO(logo)), max_w, max_h)


class PageRef(Flowable):
    """A page number in a table cell, filled in when the document is saved (letters bound in later)."""

    def __init__(self, key: str):
        super().__init__()
        self.key = key

    def wrap(self, avail_width, avail_height):
        self.width = avail_width
        return avail_width, 9

    def draw(self):
        self.canv.saveState()
        self.canv.translate(self.width, 1)
        self.canv.doForm(_ref_form(self.key))
        self.canv.restoreState()


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
