"""Baseline for the bid pack benchmark: the pack's content, laid out like the pack, with bare reportlab platypus.

Like for like: the same pages in the same order (a title page listing the sections; the headline figures and
the case; the region chart and table, the tile map and its table, the timeline chart and table; the members
table; the letters table; the statements of use), the same page geometry, paragraph styles, table columns,
cell fonts, paddings and line breaks, so the bare document has the pack's page count. What it leaves out is
what the pack adds on top of platypus: no running header or footer, no "Page n of N", no contents page
numbers or links, no bookmarks or outline, no text hygiene (invisible characters, glyph fallback,
right-to-left runs), no Paragraph header cells, no letters' page references, and a plain LongTable for the
long tables (split by reportlab as usual). Charts are reportlab's own HorizontalBarChart and LinePlot, and
the tile map twelve rectangles with their labels.

``font`` chooses the faces: reportlab's standard Helvetica (not embedded) or the pack's embedded DejaVu
Sans, so the pack can be compared with a bare document drawn in the same font.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.platypus import CondPageBreak, LongTable, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table

MEMBER_COLUMNS = ["Organisation", "Identifier", "Regions", "Homes", "Amount", "Status", "Letter"]
MEMBER_WIDTHS = [118, 72, 88, 48, 62, 54, 40]  # the bid pack's members table
LETTER_WIDTHS = [104, 88, 240, 50]  # the bid pack's letters table
FONTS = {
    "standard": ("Helvetica", "Helvetica-Bold", "Courier"),
    "embedded": ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSansMono"),
}
NAVY, RULE, ZEBRA, PALE = (colors.HexColor(c) for c in ("#1d3557", "#cbd2d9", "#f3f6f9", "#e8eef5"))
SECTIONS = [
    "Headline figures",
    "The case for the bid",
    "Where and when",
    "Match funding and homes by region",
    "Coverage of the UK",
    "Pledges over time",
    "Member organisations",
    "Letters of commitment",
    "Appendix: statements of use",
]


def _money(pence: int) -> str:
    return f"£{pence // 100:,}"


def _table_style(regular: str, bold: str, numeric: tuple[int, ...] = (), totals: bool = False) -> list:
    cmds = [
        ("FONT", (0, 0), (-1, -1), regular, 8, 10),
        ("FONT", (0, 0), (-1, 0), bold, 8, 10),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("BACKGROUND", (0, 0), (-1, 0), NAVY),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA]),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    cmds += [("ALIGN", (c, 0), (c, -1), "RIGHT") for c in numeric]
    if totals:
        cmds += [("FONT", (0, -1), (-1, -1), bold, 8, 10), ("BACKGROUND", (0, -1), (-1, -1), PALE)]
    return cmds


def _styles(font: str):
    from app.pdf import styles

    regular, bold, _mono = FONTS[font]
    pick = lambda style: style.clone(  # noqa: E731
        style.name + font, fontName=bold if style.fontName == styles.BOLD else regular
    )
    return {name: pick(getattr(styles, name)) for name in ("H1", "H2", "H3", "BODY", "META", "STATEMENT", "NOTE")}


def _wrapped(text: str, font: str, width: float) -> str:
    # The pack's line breaks (at spaces, then inside long file names), so that rows have the same heights.
    from app.pdf.text import wrap_lines

    return "\n".join(wrap_lines(text, font, 8, width - 8))


def _regions(data, members) -> dict[str, list[int]]:
    by_region: dict[str, list[int]] = {}
    for m in members:
        for region in m.regions:
            figures = by_region.setdefault(region, [0, 0, 0])
            figures[0] += m.amount_pence // len(m.regions)
            figures[1] += m.homes // len(m.regions)
            figures[2] += 1
    return by_region


def _where_and_when(data, members, s, regular: str, bold: str) -> list:
    by_region = _regions(data, members)
    names = sorted(by_region)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 110, 10, 330, 15 * len(names) + 20
    chart.data = [[by_region[n][0] for n in names], [by_region[n][1] * 100 for n in names]]
    chart.categoryAxis.categoryNames = names
    chart.categoryAxis.labels.fontName = chart.valueAxis.labels.fontName = regular
    bars = Drawing(482, 40 + 15 * 12)
    bars.add(chart)
    region_rows = [["Region", "Members", "Match funding", "Share", "Homes covered", "Share"]]
    total = sum(v[0] for v in by_region.values()) or 1
    homes = sum(v[1] for v in by_region.values()) or 1
    for n in names:
        v = by_region[n]
        region_rows.append([n, f"{v[2]:,}", _money(v[0]), f"{v[0] / total:.0%}", f"{v[1]:,}", f"{v[1] / homes:.0%}"])
    region_rows.append(["All regions", f"{len(members):,}", _money(total), "", f"{homes:,}", ""])
    tiles = Drawing(482, 4 * 58 + 4)
    for i, n in enumerate(names):
        x, y = 4 + (i % 5) * 76, 4 + (i // 5) * 58
        tiles.add(Rect(x, y, 72, 54, fillColor=colors.HexColor("#8db7dc"), strokeColor=None))
        tiles.add(String(x + 4, y + 40, n[:14], fontName=bold, fontSize=7))
        tiles.add(String(x + 4, y + 28, f"{by_region[n][1]:,} homes", fontName=regular, fontSize=6.5))
    map_rows = [["Region", "Homes covered", "Members", "Shading band"]]
    map_rows += [[n, f"{by_region[n][1]:,}", f"{by_region[n][2]:,}", "band"] for n in names]
    running, points = 0, []
    for m in sorted(members, key=lambda m: m.pledged_at):
        running += m.amount_pence
        points.append(((m.pledged_at - data.timeline[0].at).total_seconds() / 86400 if data.timeline else 0, running))
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 50, 20, 420, 180
    plot.data = [points or [(0, 0)]]
    plot.xValueAxis.labels.fontName = plot.yValueAxis.labels.fontName = regular
    line = Drawing(482, 215)
    line.add(plot)
    days: dict[str, int] = {}
    for m in sorted(members, key=lambda m: m.pledged_at):
        days[m.pledged_at.strftime("%a %d %b %Y")] = days.get(m.pledged_at.strftime("%a %d %b %Y"), 0) + m.amount_pence
    timing_rows = [["Period (UK time)", "Change", "Running total", "Of target"]]
    running = 0
    for label, change in list(days.items())[-16:]:
        running += change
        timing_rows.append([label, "+" + _money(change), _money(running), f"{running / data.target_pence:.0%}"])
    return [
        Paragraph("Where and when", s["H1"]),
        Paragraph("Where the pledged match funding and homes are across the UK's twelve ITL1 regions.", s["BODY"]),
        Paragraph("Match funding and homes by region", s["H2"]),
        bars,
        Spacer(1, 6),
        Table(
            region_rows, colWidths=[142, 52, 90, 50, 90, 58], style=_table_style(regular, bold, (1, 2, 3, 4, 5), True)
        ),
        CondPageBreak(520),
        Paragraph("Coverage of the UK", s["H2"]),
        Paragraph("Each tile is one region; the darker the tile, the more homes covered.", s["BODY"]),
        tiles,
        Spacer(1, 10),
        Table(map_rows, colWidths=[170, 100, 80, 132], style=_table_style(regular, bold, (1, 2))),
        CondPageBreak(480),
        Paragraph("Pledges over time", s["H2"]),
        Paragraph("The running total of match funding pledged, against the target.", s["BODY"]),
        line,
        Spacer(1, 8),
        Table(timing_rows, colWidths=[182, 100, 110, 90], style=_table_style(regular, bold, (1, 2, 3))),
    ]


def bare_pdf(data, font: str = "standard") -> bytes:
    """The pack's content for ``data`` (a PackData) as a plain platypus document with the pack's pages."""
    from app.pdf import typeface

    typeface.register()
    regular, bold, mono = FONTS[font]
    s = _styles(font)
    members = sorted(data.members, key=lambda m: (-m.amount_pence, m.organisation_name))
    story = [Paragraph(escape(data.bid_title), s["H1"]), Paragraph(escape(data.scheme), s["BODY"])]
    story += [Paragraph(escape(line), s["BODY"]) for line in (data.funder_name, data.convenor_name)]
    story += [Paragraph(title, s["BODY"]) for title in SECTIONS]
    story += [PageBreak(), Paragraph("Headline figures", s["H1"])]
    confirmed = sum(m.amount_pence for m in members if m.status == "confirmed")
    cards = [
        ["Match funding pledged", _money(data.total_pence), "Homes covered", f"{data.total_homes:,}"],
        ["Member organisations", f"{len(members):,}", "Confirmed match funding", _money(confirmed)],
    ]
    story.append(Table(cards, colWidths=[140, 100, 140, 100], style=[("FONT", (0, 0), (-1, -1), regular, 10, 14)]))
    story += [Paragraph("The case for the bid", s["H1"])]
    story += [Paragraph(escape(p), s["BODY"]) for p in data.case.split("\n\n") if p.strip()]
    story += [PageBreak(), *_where_and_when(data, members, s, regular, bold), PageBreak()]
    story += [
        Paragraph("Member organisations", s["H1"]),
        Paragraph(f"{len(members):,} member organisations.", s["BODY"]),
    ]
    rows = [MEMBER_COLUMNS]
    w = MEMBER_WIDTHS
    for m in members:
        regions = "All UK regions" if len(m.regions) >= 12 else ", ".join(m.regions)
        rows.append(
            [
                _wrapped(m.organisation_name, regular, w[0]),
                _wrapped(m.identifier or "—", regular, w[1]),
                _wrapped(regions, regular, w[2]),
                f"{m.homes:,}",
                _money(m.amount_pence),
                ("Confirmed" if m.status == "confirmed" else "Indicative") + (" *" if m.in_grace else ""),
                "Yes" if m.letter_sha256 else "No",
            ]
        )
    total_homes = sum(m.homes for m in members)
    rows.append(
        ["Total: members\nconfirmed\nwith a letter", "", "", f"{total_homes:,}", _money(data.total_pence), "", ""]
    )
    style = _table_style(regular, bold, (3, 4), totals=True)
    story.append(LongTable(rows, colWidths=w, repeatRows=1, style=style))
    story.append(Paragraph(f"Totals: {_money(confirmed)} confirmed.", s["NOTE"]))
    letters = [["Organisation", "File", "SHA-256", "Page"]]
    for m in members:
        if m.letter_sha256:
            name = _wrapped(m.organisation_name, regular, LETTER_WIDTHS[0])
            letters.append([name, _wrapped(m.letter_filename or "—", regular, LETTER_WIDTHS[1]), m.letter_sha256, "—"])
    story += [CondPageBreak(160), Spacer(1, 10), Paragraph("Letters of commitment", s["H1"])]
    story.append(Paragraph(f"{len(letters) - 1:,} members have uploaded a letter of commitment.", s["BODY"]))
    if len(letters) > 1:
        style = [*_table_style(regular, bold, (3,)), ("FONT", (2, 1), (2, -1), mono, 6, 10)]
        story.append(LongTable(letters, colWidths=LETTER_WIDTHS, repeatRows=1, style=style))
    story += [PageBreak(), Paragraph("Appendix: statements of use", s["H1"])]
    story.append(Paragraph("What each member will use its match funding for, in its own words.", s["BODY"]))
    from app.text import london_datetime

    for m in members:
        meta = " · ".join(
            part
            for part in (
                m.identifier,
                _money(m.amount_pence),
                f"{m.homes:,} homes",
                ("Confirmed" if m.status == "confirmed" else "Indicative") + (" *" if m.in_grace else ""),
                "All UK regions" if len(m.regions) >= 12 else ", ".join(m.regions),
                f"last changed {london_datetime(m.updated_at)}",
            )
            if part
        )
        story.append(CondPageBreak(72))
        story.append(Paragraph(escape(m.organisation_name), s["H3"]))
        story.append(Paragraph(escape(meta), s["META"]))
        story += [Paragraph(escape(p), s["STATEMENT"]) for p in m.statement.split("\n\n") if p.strip()]
    story.append(Paragraph("End of the bid pack.", s["NOTE"].clone("End", spaceBefore=18)))
    buffer = io.BytesIO()
    from app.pdf.styles import MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, PAGE_HEIGHT, PAGE_WIDTH

    # SimpleDocTemplate's frame pads 6 pt on every side; the pack's body frame has no side padding.
    doc = SimpleDocTemplate(
        buffer,
        pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
        leftMargin=MARGIN_LEFT - 6,
        rightMargin=MARGIN_RIGHT - 6,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
    )
    doc.build(story)
    return buffer.getvalue()
