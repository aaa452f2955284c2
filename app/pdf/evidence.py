"""The bid pack's "Evidence from our members" section: an attached programme's totals per measure over a range
of periods, a chart and a table each, with the number of contributing organisations and the date."""

from __future__ import annotations

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Table

from app.infra import clock
from app.pdf.data import PackData, PackEvidenceMeasure
from app.pdf.layout import anchor
from app.pdf.styles import BODY, FONT, FRAME_WIDTH, H1, H2, MUTED, NAVY, NOTE, RULE, data_table_style
from app.pdf.text import markup

KEY = "evidence"
TITLE = "Evidence from our members"


def _chart(m: PackEvidenceMeasure) -> Drawing:
    drawing = Drawing(FRAME_WIDTH, 40 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 12 * mm, 6 * mm, FRAME_WIDTH - 16 * mm, 30 * mm
    chart.data = [list(m.values) or [0]]
    chart.bars[0].fillColor = NAVY
    chart.bars[0].strokeColor = None
    chart.categoryAxis.categoryNames = list(m.periods)
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = FONT
        axis.labels.fontSize = 6.5
        axis.labels.fillColor = MUTED
        axis.strokeColor = RULE
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(max(m.values, default=0) * 1.1, 1)
    drawing.add(chart)
    return drawing


def section(data: PackData) -> list:
    evidence = data.evidence
    if evidence is None:
        return []
    story = [
        anchor(Paragraph(TITLE, H1), KEY, TITLE),
        Paragraph(
            markup(
                f"From the “{evidence.programme_title}” returns, {evidence.period_range}: {evidence.organisations} "
                f"organisations contributed. Figures as at {clock.format_uk(evidence.as_of)}."
            ),
            BODY,
        ),
        Paragraph(
            "Totals from fewer than 3 organisations are not shown. Levels (stocks) are month-end figures, "
            "never added across months.",
            NOTE,
        ),
    ]
    for m in evidence.measures:
        rows = [
            ["Period", "Total", "Organisations"],
            *[[p, t, str(c)] for p, t, c in zip(m.periods, m.totals, m.contributors, strict=True)],
        ]
        grid = Table(rows, colWidths=[FRAME_WIDTH * 0.4, FRAME_WIDTH * 0.35, FRAME_WIDTH * 0.25], repeatRows=1)
        grid.setStyle(data_table_style(numeric_cols=(1, 2)))
        story.append(KeepTogether([Paragraph(markup(m.label), H2), _chart(m), grid]))
    return story
