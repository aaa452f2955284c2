"""Bid pack sections that grow with the data: regions and timing, members, letters, statements of use."""

from __future__ import annotations

from functools import lru_cache

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import CondPageBreak, LongTable, Paragraph, Spacer, Table

from app.money import format_pence as _format_pence
from app.pdf import charts
from app.pdf.data import PackData, PackMember
from app.pdf.figures import region_rows, sorted_members, timeline, timeline_rows
from app.pdf.layout import anchor
from app.pdf.paged import PagedTable, plain_paragraph
from app.pdf.styles import (
    BODY,
    BOLD,
    CELL,
    CELL_FONT_SIZE,
    CELL_PAD,
    FONT,
    H1,
    H2,
    H3,
    META,
    NOTE,
    STATEMENT,
    WHITE,
    data_table_style,
)
from app.pdf.text import display_line, text_paragraphs, wrap_lines
from app.text import format_count, london_datetime, percent_of

#: Babel formatting costs ~50 µs a call; pledges repeat round amounts, so thousands of rows share results.
format_pence = lru_cache(maxsize=4096)(_format_pence)

#: A data table's cells: 10 pt lines and 3 pt padding above and below (see data_table_style).
CELL_LEADING, CELL_PAD_Y = 10, 3

HEAD = CELL.clone("CellHead", fontName=BOLD, textColor=WHITE)
HEAD_RIGHT = HEAD.clone("CellHeadRight", alignment=2)


def cell(text: str, width: float) -> str:
    """A table cell wrapped to its column as plain lines.

    Plain strings are drawn literally (never parsed as markup, so nothing in a name can inject
    tags) and cost a fraction of a Paragraph, which keeps a 2,000-row table fast. Over-long words
    are broken too (see wrap_lines), so no cell overflows its column.
    """
    room = width - 2 * CELL_PAD
    if stringWidth(text, FONT, CELL_FONT_SIZE) <= room:
        return text
    return "\n".join(wrap_lines(text, FONT, CELL_FONT_SIZE, room))


def _head(labels: list[str], numeric: tuple[int, ...] = ()) -> list:
    return [Paragraph(label, HEAD_RIGHT if i in numeric else HEAD) for i, label in enumerate(labels)]


def regions_and_timing(data: PackData) -> list:
    rows = region_rows(data)
    story: list = [anchor(Paragraph("Where and when", H1), "where", "Where and when")]
    story.append(
        Paragraph(
            "Where the pledged match funding and homes are across the UK's twelve ITL1 regions, and how the "
            "total built up. A pledge that names more than one region is split evenly across them; a member "
            "counts once in every region it names.",
            BODY,
        )
    )
    # By region: bars, then the same numbers as a table.
    money_total = sum(r.amount_pence for r in rows)
    homes_total = sum(r.homes for r in rows)
    table = [_head(["Region", "Members", "Match funding", "Share", "Homes covered", "Share"], (1, 2, 3, 4, 5))]
    for r in rows:
        table.append(
            [
                display_line(r.name, 60),
                format_count(r.members),
                format_pence(r.amount_pence),
                percent_of(r.amount_pence, money_total),
                format_count(r.homes),
                percent_of(r.homes, homes_total),
            ]
        )
    table.append(
        ["All regions", format_count(len(data.members)), format_pence(money_total), "", format_count(homes_total), ""]
    )
    widths = [142, 52, 90, 50, 90, 58]
    story += [
        anchor(Paragraph("Match funding and homes by region", H2), "regions", "Match funding and homes by region", 1),
        charts.region_bars(rows),
        Spacer(1, 6),
        Table(
            table, colWidths=widths, repeatRows=1, style=data_table_style((1, 2, 3, 4, 5), totals=True), hAlign="LEFT"
        ),
        Spacer(1, 4),
        Paragraph("The members total counts each organisation once.", NOTE),
    ]
    # Coverage map: tiles, then a table of the bands.
    bands = charts.homes_bands(rows)
    map_rows = [_head(["Region", "Homes covered", "Members", "Shading band"], (1, 2))]
    for r in sorted((r for r in rows if r.code in charts.TILE_GRID), key=lambda r: -r.homes):
        map_rows.append(
            [r.name, format_count(r.homes), format_count(r.members), bands[charts.band_of(r.homes, bands)][2]]
        )
    story += [
        CondPageBreak(520),
        anchor(Paragraph("Coverage of the UK", H2), "map", "Coverage of the UK", 1),
        Paragraph(
            "Each tile is one region, placed roughly where it lies; the darker the tile, the more homes the "
            "consortium's pledges cover there. Every tile carries its figures, so the map reads without colour.",
            BODY,
        ),
        charts.tile_map(rows),
        Spacer(1, 10),
        Table(map_rows, colWidths=[170, 100, 80, 132], repeatRows=1, style=data_table_style((1, 2)), hAlign="LEFT"),
    ]
    story += _timing(data)
    return story


def _timing(data: PackData) -> list:
    line = timeline(data)
    story: list = [
        CondPageBreak(480),
        anchor(Paragraph("Pledges over time", H2), "timeline", "Pledges over time", 1),
    ]
    if not line.points:
        return [*story, Paragraph("No pledges have been made yet.", NOTE)]
    start = min([line.points[0].at] + ([data.opened_at] if data.opened_at else []))
    end = max(line.points[-1].at, data.generated_at, data.deadline)
    story.append(
        Paragraph(
            "The running total of match funding pledged, against the target. Amendments and withdrawals "
            "move the line down as well as up.",
            BODY,
        )
    )
    story.append(charts.timeline_chart(line.points, data.target_pence, start, end, data.deadline))
    if line.derived:
        story.append(
            Paragraph(
                "No change history was recorded for this pack, so the line is built from each member's first "
                "pledge time and current amount.",
                NOTE,
            )
        )
    rows = [_head(["Period (UK time)", "Change", "Running total", "Of target"], (1, 2, 3))]
    for row in timeline_rows(line.points):
        change = format_pence(row.change_pence)
        rows.append(
            [
                row.label,
                change if row.change_pence < 0 else "+" + change,
                format_pence(row.cumulative_pence),
                percent_of(row.cumulative_pence, data.target_pence),
            ]
        )
    story += [
        Spacer(1, 8),
        Table(rows, colWidths=[182, 100, 110, 90], repeatRows=1, style=data_table_style((1, 2, 3)), hAlign="LEFT"),
    ]
    return story


def _regions_text(member: PackMember) -> str:
    if len(member.regions) >= 12:
        return "All UK regions"
    return ", ".join(display_line(r, 60) for r in member.regions) or "—"


def _status(member: PackMember) -> str:
    text = "Confirmed" if member.status == "confirmed" else "Indicative"
    return text + (" *" if member.in_grace else "")


MEMBER_WIDTHS = [118, 72, 88, 48, 62, 54, 40]  # Status fits "Indicative *" in DejaVu Sans


def members(data: PackData) -> list:
    """The members table: largest pledge first, header repeated on every page, totals to the penny."""
    story: list = [anchor(Paragraph("Member organisations", H1), "members", "Member organisations")]
    if not data.members:
        return [*story, Paragraph("No member organisation has pledged yet.", NOTE)]
    story.append(
        Paragraph(
            f"{format_count(len(data.members))} member organisations, largest pledge first. Confirmed pledges are "
            "backed by the organisation's approval; indicative ones are expected but not yet approved.",
            BODY,
        )
    )
    w = MEMBER_WIDTHS
    rows = [_head(["Organisation", "Identifier", "Regions", "Homes", "Amount", "Status", "Letter"], (3, 4))]
    for m in sorted_members(data):
        rows.append(
            [
                cell(display_line(m.organisation_name, 300), w[0]),
                cell(display_line(m.identifier, 80) or "—", w[1]),
                cell(_regions_text(m), w[2]),
                format_count(m.homes),
                format_pence(m.amount_pence),
                _status(m),
                "Yes" if m.letter_sha256 else "No",
            ]
        )
    confirmed = sum(1 for m in data.members if m.status == "confirmed")
    with_letter = sum(1 for m in data.members if m.letter_sha256)
    # No SPAN in the totals row: a span makes every page split recompute span ranges over all rows.
    label = (
        f"Total: {format_count(len(data.members))} members\n{format_count(confirmed)} confirmed\n"
        f"{format_count(with_letter)} with a letter"
    )
    rows.append([label, "", "", format_count(data.total_homes), format_pence(data.total_pence), "", ""])
    # Fed to the page a slice at a time (see PagedTable): splitting one 2,000-row table costs the square.
    styles = {
        (last, continued): data_table_style((3, 4), totals=last, continued=continued)
        for last in (False, True)
        for continued in (False, True)
    }

    def make_table(part: list[list], last: bool, continued: bool) -> LongTable:
        return LongTable(part, colWidths=w, repeatRows=1, style=styles[last, continued], hAlign="LEFT")

    story.append(PagedTable(rows[0], rows[1:], make_table, line_height=CELL_LEADING, padding=2 * CELL_PAD_Y))
    notes = [
        f"Totals: {format_pence(data.confirmed_pence)} confirmed and {format_pence(data.indicative_pence)} indicative."
    ]
    if any(m.in_grace for m in data.members):
        notes.append("* Saved during the grace window after the deadline.")
    story.append(Paragraph(" ".join(notes), NOTE))
    return story


def appendix(data: PackData) -> list:
    """Each member's statement of use; long statements wrap and split across pages."""
    story: list = [
        anchor(Paragraph("Appendix: statements of use", H1), "appendix", "Appendix: statements of use", closed=True),
        Paragraph("What each member will use its match funding for, in its own words, largest pledge first.", BODY),
    ]
    for index, m in enumerate(sorted_members(data)):
        name = display_line(m.organisation_name, 300)
        meta = " · ".join(
            part
            for part in (
                display_line(m.identifier, 80),
                format_pence(m.amount_pence),
                f"{format_count(m.homes)} homes",
                _status(m),
                _regions_text(m),
                f"last changed {london_datetime(m.updated_at)}",
            )
            if part
        )
        # CondPageBreak keeps a heading off the foot of a page without KeepTogether's extra measuring.
        story.append(CondPageBreak(72))
        story.append(anchor(plain_paragraph(name, H3), f"m{index}", display_line(name, 120), 1))
        story.append(plain_paragraph(meta, META))
        paragraphs = text_paragraphs(m.statement)
        if not paragraphs:
            story.append(Paragraph("No statement given.", NOTE))
        story += [plain_paragraph(p, STATEMENT) for p in paragraphs]
    return story
