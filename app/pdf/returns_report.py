"""The impact returns summary report as PDF: cover, headline figures, per-measure month-on-month charts and
tables, coverage, completeness and caveats. Same fonts and styles as the bid pack; data in, bytes out.

The figures given are the members' view (small numbers suppressed): the report goes to every organisation that
submitted.
"""

from __future__ import annotations

import io
from datetime import datetime

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table

from app.infra import clock
from app.pdf.styles import (
    BODY,
    CELL,
    CELL_RIGHT,
    FONT,
    FRAME_WIDTH,
    H1,
    H2,
    INK,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    MUTED,
    NAVY,
    NOTE,
    RULE,
    data_table_style,
)
from app.pdf.text import markup
from app.units import format_figure


def _chart(rows: list[dict], code: str, unit: str) -> Drawing:
    drawing = Drawing(FRAME_WIDTH, 52 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 14 * mm, 8 * mm, FRAME_WIDTH - 18 * mm, 40 * mm
    values = [(r["measures"].get(code) or {}).get("total") or 0 for r in rows]
    chart.data = [values]
    chart.bars[0].fillColor = NAVY
    chart.bars[0].strokeColor = None
    chart.categoryAxis.categoryNames = [r["period"] for r in rows]
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = FONT
        axis.labels.fontSize = 6.5
        axis.labels.fillColor = MUTED
        axis.strokeColor = RULE
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(max(values, default=0) * 1.1, 1)
    chart.valueAxis.labelTextFormat = lambda v: format_figure(unit, int(v))
    chart.barLabelFormat = lambda v: format_figure(unit, int(v)) if v else ""
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = 6
    chart.barLabels.fillColor = INK
    chart.barLabels.nudge = 6
    drawing.add(chart)
    return drawing


#: stories quoted at most, and the characters of each
MAX_STORIES, STORY_CHARS = 12, 1200


def build_summary(
    title: str,
    body_name: str,
    rows: list[dict],
    *,
    sector_homes: int | None,
    generated_at: datetime,
    stories: list[tuple[str, str, str]] = (),
) -> bytes:
    """``rows``: the totals service's periods for the chosen range, already suppressed for members."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        leftMargin=MARGIN_LEFT,
        rightMargin=MARGIN_RIGHT,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=f"{title}: summary",
        author=body_name,
    )
    span = f"{rows[0]['period']} to {rows[-1]['period']}" if rows else "no periods"
    story = [
        Paragraph(markup(title), H1),
        Paragraph(markup(f"Summary of impact returns, {span}, from {body_name}."), BODY),
        Paragraph(markup(f"Generated {clock.format_uk(generated_at)} (UK time)."), NOTE),
    ]
    if rows:
        last = rows[-1]
        homes = last["homes_covered"]
        covering = "" if homes is None else f", covering {homes:,} homes"
        if homes is not None and sector_homes:
            covering += f" ({homes * 100 / sector_homes:.1f}% of the sector's {sector_homes:,} homes)"
        headline = f"In {last['period']}, {last['received']} of {last['expected']} organisations reported{covering}."
        story += [Paragraph("Headline figures", H2), Paragraph(markup(headline), BODY)]
        for cell in last["measures"].values():
            figure = "fewer than 3 organisations" if cell["suppressed"] else format_figure(cell["unit"], cell["total"])
            story.append(Paragraph(markup(f"{cell['label']}: {figure}"), BODY))
        scaled = [c for c in last["measures"].values() if c.get("sector_estimate") is not None]
        if scaled and homes and sector_homes:
            share = f"{homes * 100 / sector_homes:.1f}%"
            story.append(Paragraph("Whole sector: estimate", H2))
            note = (
                f"Estimate, not reported figures: each total scaled up from the {share} of the sector's homes "
                "covered, assuming the rest of the sector is like those who reported."
            )
            story.append(Paragraph(markup(note), NOTE))
            for cell in scaled:
                estimate = format_figure(cell["unit"], cell["sector_estimate"])
                story.append(Paragraph(markup(f"{cell['label']}: about {estimate} (estimate)"), BODY))
    codes = list(rows[-1]["measures"]) if rows else []
    for code in codes:
        first = rows[-1]["measures"][code]
        table = [["Period", "Total", "Organisations", "Change", "Running total"]]
        for r in rows:
            c = r["measures"].get(code)
            if not c:
                continue
            table.append(
                [
                    Paragraph(r["period"], CELL),
                    Paragraph("fewer than 3" if c["suppressed"] else format_figure(c["unit"], c["total"]), CELL_RIGHT),
                    Paragraph(str(c["contributors"]), CELL_RIGHT),
                    Paragraph(format_figure(c["unit"], c["change"]) if c["change"] is not None else "—", CELL_RIGHT),
                    Paragraph(
                        "not added (a level)" if c["kind"] == "stock" else format_figure(c["unit"], c["running_total"]),
                        CELL_RIGHT,
                    ),
                ]
            )
        grid = Table(table, colWidths=[FRAME_WIDTH * w for w in (0.26, 0.2, 0.16, 0.18, 0.2)], repeatRows=1)
        grid.setStyle(data_table_style(numeric_cols=(1, 2, 3, 4)))
        story.append(KeepTogether([Paragraph(markup(first["label"]), H2), _chart(rows, code, first["unit"]), grid]))
    story += [Paragraph("Completeness and coverage", H2)]
    table = [["Period", "Expected", "Received", "On time", "Late", "Missing", "Homes covered"]]
    for r in rows:
        table.append(
            [
                r["period"],
                r["expected"],
                r["received"],
                r["on_time"],
                r["late"],
                r["missing"],
                f"{r['homes_covered']:,}" if r["homes_covered"] is not None else "—",
            ]
        )
    grid = Table(table, repeatRows=1)
    grid.setStyle(data_table_style(numeric_cols=(1, 2, 3, 4, 5, 6)))
    story += [grid, Spacer(1, 6 * mm)]
    if stories:
        story.append(Paragraph("In our members' words", H2))
        story.append(Paragraph("Quoted with each organisation's permission.", NOTE))
        for name, period, text in list(stories)[:MAX_STORIES]:
            quoted = text if len(text) <= STORY_CHARS else text[: STORY_CHARS - 1] + "…"
            story.append(Paragraph(markup(f"{name}, {period}"), BODY))
            story.append(Paragraph(markup(quoted), NOTE))
    story.append(Paragraph("Caveats", H2))
    for caveat in (
        "Totals are of the figures organisations gave; a measure an organisation did not collect is left out, "
        "not counted as 0.",
        "Figures from fewer than 3 organisations are not shown, so that no one organisation's figure can be "
        "worked out.",
        "Levels (stocks), such as residents at risk of arrears, are month-end figures and are never added up "
        "across months.",
        "Changes compare all organisations that reported in each period; the dashboard's like-for-like change "
        "compares only those that reported in both.",
    ):
        story.append(Paragraph(markup(caveat), BODY))
    doc.build(story)
    return buffer.getvalue()
