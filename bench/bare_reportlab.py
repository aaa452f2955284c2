"""Baseline for the bid pack benchmark: the same content, laid out with bare reportlab platypus.

The same members table (the same columns and widths), the same statements appendix and the same two
charts and region table, built directly with SimpleDocTemplate and reportlab's default styles: no cover
or contents, no running header or "Page n of N", no bookmarks, no text hygiene, no wrapping of cells.
``font`` chooses the faces: reportlab's standard Helvetica (not embedded) or the pack's embedded
DejaVu Sans, so the pack can be compared with a bare document drawn in the same font.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import LongTable, PageBreak, Paragraph, SimpleDocTemplate, Table

COLUMNS = ["Organisation", "Identifier", "Regions", "Homes", "Amount", "Status", "Letter"]
WIDTHS = [118, 72, 88, 48, 62, 54, 40]  # the bid pack's members table
FONTS = {"standard": ("Helvetica", "Helvetica-Bold"), "embedded": ("DejaVuSans", "DejaVuSans-Bold")}


def _money(pence: int) -> str:
    return f"£{pence // 100:,}"


def bare_pdf(data, font: str = "standard") -> bytes:
    """The pack's content for ``data`` (a PackData) as a plain platypus document."""
    if font == "embedded":
        from app.pdf import typeface

        typeface.register()
    regular, bold = FONTS[font]
    sheet = getSampleStyleSheet()
    body = sheet["BodyText"].clone("B", fontName=regular)
    h1 = sheet["Heading1"].clone("H1", fontName=bold)
    h3 = sheet["Heading3"].clone("H3", fontName=bold)
    members = sorted(data.members, key=lambda m: -m.amount_pence)
    story = [Paragraph(escape(data.bid_title), h1), Paragraph(escape(data.case), body)]
    by_region: dict[str, list[int]] = {}
    for m in members:
        for region in m.regions:
            by_region.setdefault(region, [0, 0])
            by_region[region][0] += m.amount_pence // len(m.regions)
            by_region[region][1] += m.homes // len(m.regions)
    names = sorted(by_region)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 110, 10, 300, 200
    chart.data = [[by_region[n][0] for n in names]]
    chart.categoryAxis.categoryNames = names
    chart.categoryAxis.labels.fontName = chart.valueAxis.labels.fontName = regular
    drawing = Drawing(480, 220)
    drawing.add(chart)
    story.append(drawing)
    story.append(
        Table([["Region", "Match funding", "Homes"]] + [[n, _money(v[0]), f"{v[1]:,}"] for n, v in by_region.items()])
    )
    running, points = 0, []
    for i, m in enumerate(sorted(members, key=lambda m: m.pledged_at)):
        running += m.amount_pence
        points.append((i, running))
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 50, 20, 400, 180
    plot.data = [points or [(0, 0)]]
    plot.xValueAxis.labels.fontName = plot.yValueAxis.labels.fontName = regular
    line = Drawing(480, 210)
    line.add(plot)
    story += [line, PageBreak()]
    rows = [COLUMNS]
    for m in members:
        rows.append(
            [
                m.organisation_name,
                m.identifier or "",
                ", ".join(m.regions),
                f"{m.homes:,}",
                _money(m.amount_pence),
                m.status,
                "Yes" if m.letter_sha256 else "No",
            ]
        )
    story.append(LongTable(rows, colWidths=WIDTHS, repeatRows=1, style=[("FONT", (0, 0), (-1, -1), regular, 8)]))
    letters = [[m.organisation_name, m.letter_filename or "", m.letter_sha256] for m in members if m.letter_sha256]
    if letters:
        story.append(LongTable(letters, style=[("FONT", (0, 0), (-1, -1), regular, 7)]))
    story.append(PageBreak())
    for m in members:
        story.append(Paragraph(escape(m.organisation_name), h3))
        story.append(Paragraph(f"{_money(m.amount_pence)} · {m.homes:,} homes · {escape(', '.join(m.regions))}", body))
        story.append(Paragraph(escape(m.statement), body))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build(story)
    return buffer.getvalue()
