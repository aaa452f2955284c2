"""Build the funder-ready bid pack PDF from a PackData: cover, headline figures and the convenor's case."""

from __future__ import annotations

import io
from dataclasses import replace
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import NextPageTemplate, PageBreak, Paragraph, Spacer, Table, TableStyle

from app.money import format_pence
from app.pdf import binding, evidence, sections
from app.pdf import letters as letter_pages
from app.pdf.binding import BoundLetter
from app.pdf.cover import cover
from app.pdf.data import PackData
from app.pdf.layout import PackDocTemplate, anchor, canvas_class
from app.pdf.styles import (
    ACCENT,
    BAD,
    BODY,
    BOLD,
    CARD_FIGURE,
    CARD_LABEL,
    CARD_NOTE,
    FONT,
    FRAME_WIDTH,
    GOOD,
    H1,
    H2,
    INK,
    MUTED,
    NAVY,
    NOTE,
    PALE,
    RULE,
    SCALE,
    key_value_style,
)
from app.pdf.text import display_line, markup, markup_paragraphs, wrap_lines
from app.text import format_count, london_datetime, percent_of


def build_pdf(data: PackData, letters: list[tuple[str, bytes]] | None = None) -> bytes:
    """The bid pack as PDF bytes. Pure: no database, no request; the same data gives the same bytes.

    ``letters`` are (filename, content) pairs of the letter files that travel with the pack. Each is listed
    with its SHA-256 and bound in at the end after a divider page; a letter that cannot be read or merged
    is listed with the reason instead, and never stops the pack being built.
    """
    checked = binding.inspect(letters or [], data)
    while True:
        pdf, pages = _render(data, checked)
        if not letter_pages.bound_in(checked):
            return pdf
        try:
            return binding.bind(pdf, checked, pages)
        except binding.BindError as exc:  # lay the pack out again with that letter listed as not bound
            checked = [replace(x, pages=0, reason=exc.reason) if x.index == exc.index else x for x in checked]


def _render(data: PackData, checked: list[BoundLetter]) -> tuple[bytes, dict[str, int]]:
    """The pack's own pages, with a divider page for each letter to bind in; and each anchor's page."""
    entries = _contents(data, checked)
    story = cover(data, entries, bool(letter_pages.bound_in(checked)))
    story += [NextPageTemplate("body"), PageBreak()]
    story += _headline(data)
    story += _case(data)
    story += [PageBreak()]
    story += sections.regions_and_timing(data)
    story += [PageBreak()]
    story += sections.members(data)
    if data.evidence is not None:
        story += [PageBreak(), *evidence.section(data)]
    story += letter_pages.table(data, checked)
    if data.members:
        story += [PageBreak()]
        story += sections.appendix(data)
    bound = letter_pages.bound_in(checked)
    if bound:
        story += [PageBreak(), *letter_pages.dividers(checked)]
    else:
        story.append(Paragraph("End of the bid pack.", NOTE.clone("End", spaceBefore=18)))
    buffer = io.BytesIO()
    doc = PackDocTemplate(buffer, data)
    pages: dict[str, int] = {}
    saved_a85 = rl_config.useA85
    rl_config.useA85 = 0  # binary (deflated) streams: smaller and faster than ASCII85 text
    try:
        doc.build(
            story,
            canvasmaker=canvas_class(
                data.generated_at, [key for key, _title, _level in entries], [x.key for x in bound], pages
            ),
        )
    finally:
        rl_config.useA85 = saved_a85
    return buffer.getvalue(), pages


def _contents(data: PackData, checked: list[BoundLetter]) -> list[tuple[str, str, int]]:
    entries = [("headline", "Headline figures", 0), ("case", "The case for the bid", 0)]
    if data.terms.strip():
        entries.append(("terms", "Terms of the consortium", 1))
    entries += [
        ("where", "Where and when", 0),
        ("regions", "Match funding and homes by region", 1),
        ("map", "Coverage of the UK", 1),
        ("timeline", "Pledges over time", 1),
        ("members", "Member organisations", 0),
    ]
    if data.evidence is not None:
        entries.append((evidence.KEY, evidence.TITLE, 0))
    entries += [
        ("letters", "Letters of commitment", 0),
    ]
    if data.members:
        entries.append(("appendix", "Appendix: statements of use", 0))
    if letter_pages.bound_in(checked):
        entries.append(("bound", "Letters of commitment, bound in", 0))
    return entries


def _card(label: str, figure: str, note: str) -> list:
    return [Paragraph(label.upper(), CARD_LABEL), Paragraph(figure, CARD_FIGURE), Paragraph(note, CARD_NOTE)]


def _headline(data: PackData) -> list:
    n = len(data.members)
    confirmed = sum(1 for m in data.members if m.status == "confirmed")
    cards = [
        _card(
            "Match funding pledged",
            format_pence(data.total_pence),
            f"{percent_of(data.total_pence, data.target_pence)} of the {format_pence(data.target_pence)} target",
        ),
        _card(
            "Homes covered",
            format_count(data.total_homes),
            f"{percent_of(data.total_homes, data.target_homes)} "
            f"of the target of {format_count(data.target_homes)} homes",
        ),
        _card(
            "Member organisations",
            format_count(n),
            f"{format_count(confirmed)} confirmed, {format_count(n - confirmed)} indicative",
        ),
        _card(
            "Confirmed match funding",
            format_pence(data.confirmed_pence),
            f"plus {format_pence(data.indicative_pence)} indicative "
            f"({percent_of(data.confirmed_pence, data.total_pence)} of the total is confirmed)",
        ),
    ]
    gap = 10
    card_w = (FRAME_WIDTH - gap) / 2
    grid = Table(
        [[cards[0], "", cards[1]], ["", "", ""], [cards[2], "", cards[3]]],
        colWidths=[card_w, gap, card_w],
        rowHeights=[None, gap, None],
    )
    grid.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (0, 0), PALE),
                ("BACKGROUND", (2, 0), (2, 0), PALE),
                ("BACKGROUND", (0, 2), (0, 2), PALE),
                ("BACKGROUND", (2, 2), (2, 2), PALE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 12),
                ("RIGHTPADDING", (0, 0), (-1, -1), 12),
                ("TOPPADDING", (0, 0), (-1, -1), 10),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
                ("LEFTPADDING", (1, 0), (1, -1), 0),
                ("RIGHTPADDING", (1, 0), (1, -1), 0),
                ("TOPPADDING", (0, 1), (-1, 1), 0),
                ("BOTTOMPADDING", (0, 1), (-1, 1), 0),
            ]
        )
    )
    story = [
        anchor(Paragraph("Headline figures", H1), "headline", "Headline figures"),
        Paragraph(
            f"The position when this pack was generated, {escape(london_datetime(data.generated_at))}. "
            f"The deadline for pledges is {escape(london_datetime(data.deadline))}.",
            BODY,
        ),
        grid,
        Spacer(1, 12),
        _progress(data),
    ]
    story += _thresholds(data)
    in_grace = sum(1 for m in data.members if m.in_grace)
    if in_grace:
        story.append(
            Paragraph(
                f"{format_count(in_grace)} pledge{' was' if in_grace == 1 else 's were'} saved during the grace window "
                "after the deadline; they are marked * in the members table.",
                NOTE,
            )
        )
    if data.extras:
        story.append(Paragraph("Further details", H2))
        rows = [[Paragraph(markup(k), BODY), Paragraph(markup(v), BODY)] for k, v in sorted(data.extras.items())]
        story.append(Table(rows, colWidths=[150, FRAME_WIDTH - 150], style=key_value_style(), hAlign="LEFT"))
    return story


def _progress(data: PackData) -> Drawing:
    """A stacked bar: confirmed and indicative pledges against the target marker."""
    width, bar_h = FRAME_WIDTH, 16
    drawing = Drawing(width, 44)
    scale_max = max(data.target_pence, data.total_pence, 1)
    to_x = lambda pence: width * pence / scale_max  # noqa: E731
    y = 18
    drawing.add(Rect(0, y, width, bar_h, fillColor=SCALE[0], strokeColor=RULE, strokeWidth=0.5))
    drawing.add(Rect(0, y, to_x(data.confirmed_pence), bar_h, fillColor=NAVY, strokeColor=None))
    drawing.add(
        Rect(to_x(data.confirmed_pence), y, to_x(data.indicative_pence), bar_h, fillColor=SCALE[2], strokeColor=None)
    )
    tx = min(to_x(data.target_pence), width - 0.6)
    drawing.add(Line(tx, y - 4, tx, y + bar_h + 4, strokeColor=ACCENT, strokeWidth=2))
    drawing.add(
        String(
            tx - 3,
            y + bar_h + 6,
            f"Target {format_pence(data.target_pence)}",
            fontName=BOLD,
            fontSize=7.5,
            fillColor=ACCENT,
            textAnchor="end",
        )
    )
    x = 0
    for colour, label in (
        (NAVY, f"Confirmed {format_pence(data.confirmed_pence)}"),
        (SCALE[2], f"Indicative {format_pence(data.indicative_pence)}"),
    ):
        drawing.add(Rect(x, 2, 9, 9, fillColor=colour, strokeColor=None))
        drawing.add(String(x + 13, 3, label, fontName=FONT, fontSize=7.5, fillColor=INK))
        x += 13 + stringWidth(label, FONT, 7.5) + 18
    return drawing


def _thresholds(data: PackData) -> list:
    story: list = [Paragraph("Scheme thresholds", H2)]
    if not data.thresholds:
        return [*story, Paragraph("The scheme sets no thresholds for this bid.", NOTE)]
    met = sum(1 for t in data.thresholds if t.met)
    rows = [["Threshold", "Required", "Actual", "Result"]]
    for t in data.thresholds:
        rows.append(
            [
                Paragraph(
                    markup(display_line(t.label, 300)), BODY.clone("TCell", fontSize=9, leading=11, spaceAfter=0)
                ),
                "\n".join(wrap_lines(display_line(t.required, 120), FONT, 9, 83)),
                "\n".join(wrap_lines(display_line(t.actual, 120), FONT, 9, 83)),
                "Met" if t.met else "Not met",
            ]
        )
    style = [
        ("FONT", (0, 0), (-1, -1), FONT, 9, 11),
        ("FONT", (0, 0), (-1, 0), BOLD, 8, 10),
        ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, NAVY),
        ("ALIGN", (1, 0), (2, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (0, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    for i, t in enumerate(data.thresholds, start=1):  # a handful of rows: per-row colour is cheap here
        style.append(("FONT", (3, i), (3, i), BOLD, 9, 11))
        style.append(("TEXTCOLOR", (3, i), (3, i), GOOD if t.met else BAD))
    table = Table(rows, colWidths=[FRAME_WIDTH - 250, 95, 95, 60], style=TableStyle(style), repeatRows=1, hAlign="LEFT")
    summary = f"{met} of {len(data.thresholds)} threshold{'' if len(data.thresholds) == 1 else 's'} met."
    return [*story, Paragraph(summary, BODY), table]


def _case(data: PackData) -> list:
    story: list = [Spacer(1, 14), anchor(Paragraph("The case for the bid", H1), "case", "The case for the bid")]
    paragraphs = markup_paragraphs(data.case)
    if not paragraphs:
        story.append(Paragraph("The convenor has not written a case for this bid.", NOTE))
    story += [Paragraph(p, BODY) for p in paragraphs]
    if data.terms.strip():
        story.append(anchor(Paragraph("Terms of the consortium", H2), "terms", "Terms of the consortium", level=1))
        story += [Paragraph(p, BODY) for p in markup_paragraphs(data.terms)]
    return story
