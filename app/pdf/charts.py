"""Fixed-size reportlab.graphics drawings for the bid pack: regional bars, pledges over time, a tile map."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.pdfbase.pdfmetrics import stringWidth

from app.pdf.data import PackRegion, PackTimelinePoint
from app.pdf.styles import ACCENT, BOLD, FONT, FRAME_WIDTH, INK, MUTED, NAVY, RULE, SCALE, TEAL, WHITE
from app.scales import nice_max
from app.text import LONDON, axis_count, axis_money, compact_count, compact_money, format_count, london_date

#: Short labels that fit a chart axis or a map tile.
SHORT_NAMES = {
    "NE": "North East",
    "NW": "North West",
    "YH": "Yorkshire & Humber",
    "EM": "East Midlands",
    "WM": "West Midlands",
    "EE": "East of England",
    "LON": "London",
    "SE": "South East",
    "SW": "South West",
    "WAL": "Wales",
    "SCO": "Scotland",
    "NI": "Northern Ireland",
}

#: (column, row) of each region's tile, row 0 at the top: roughly where the regions sit on a map.
TILE_GRID = {
    "SCO": (2, 0),
    "NE": (3, 0),
    "NI": (0, 1),
    "NW": (2, 1),
    "YH": (3, 1),
    "WAL": (1, 2),
    "WM": (2, 2),
    "EM": (3, 2),
    "EE": (4, 2),
    "SW": (1, 3),
    "SE": (2, 3),
    "LON": (3, 3),
}


def _short(region: PackRegion) -> str:
    return SHORT_NAMES.get(region.code, region.name)


def _bars(x, y, width, height, values, names, fmt, colour, show_names, floor, axis_fmt):
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = x, y, width, height
    chart.data = [values]
    chart.bars[0].fillColor = colour
    chart.bars[0].strokeColor = None
    chart.barWidth = 8
    chart.groupSpacing = 6
    chart.categoryAxis.categoryNames = names
    chart.categoryAxis.reverseDirection = 1  # first region at the top
    chart.categoryAxis.visibleLabels = 1 if show_names else 0
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7.5
    chart.categoryAxis.labels.fillColor = INK
    chart.categoryAxis.labels.dx = -4
    chart.categoryAxis.strokeColor = RULE
    chart.categoryAxis.visibleTicks = 0
    chart.valueAxis.valueMin = 0
    # Gridlines at round steps, each labelled with its own value exactly (axis_fmt): never "£1.2m" on £1.25m.
    highest = max(max(values, default=0) * 1.05, floor)  # an empty chart still has a scale
    step = nice_max(highest / 4)
    chart.valueAxis.valueStep = step
    chart.valueAxis.valueMax = step * math.ceil(highest / step)
    chart.valueAxis.labelTextFormat = axis_fmt
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 6.5
    chart.valueAxis.labels.fillColor = MUTED
    chart.valueAxis.strokeColor = RULE
    chart.valueAxis.visibleGrid = 1
    chart.valueAxis.gridStrokeColor = RULE
    chart.valueAxis.gridStrokeWidth = 0.25
    chart.barLabelFormat = lambda v: fmt(v) if v else ""
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = 6.5
    chart.barLabels.fillColor = INK
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    return chart


def region_bars(rows: list[PackRegion]) -> Drawing:
    """Two aligned horizontal bar charts: match funding and homes covered for each region."""
    height = 40 + 15 * len(rows)
    drawing = Drawing(FRAME_WIDTH, height)
    names = [_short(r) for r in rows]
    plot_h = height - 34
    left, money_w, gap, homes_w = 104, 140, 52, 140
    drawing.add(
        _bars(
            left,
            14,
            money_w,
            plot_h,
            [r.amount_pence for r in rows],
            names,
            compact_money,
            NAVY,
            True,
            100_000,
            axis_money,
        )
    )
    homes_x = left + money_w + gap
    homes = [r.homes for r in rows]
    drawing.add(_bars(homes_x, 14, homes_w, plot_h, homes, names, compact_count, TEAL, False, 100, axis_count))
    for x, title in ((left, "Match funding pledged"), (homes_x, "Homes covered")):
        drawing.add(String(x, height - 12, title, fontName=BOLD, fontSize=8.5, fillColor=NAVY))
    return drawing


def _nice_floor(raw: float) -> int:
    """The largest round number (1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5 × 10ⁿ) not above ``raw``."""
    exp = 10 ** math.floor(math.log10(raw))
    return int(max(m * exp for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5) if m * exp <= raw))


def timeline_chart(
    points: list[PackTimelinePoint],
    target_pence: int,
    start: datetime,
    end: datetime,
    deadline: datetime | None,
) -> Drawing:
    """Cumulative pledges as a step line against the dashed target line, with the deadline marked."""
    width, height = FRAME_WIDTH, 215
    drawing = Drawing(width, height)
    origin = datetime.combine(start.astimezone(LONDON).date(), datetime.min.time(), tzinfo=LONDON)
    span = max((end - origin).total_seconds() / 86400, 1.0)

    def days(at: datetime) -> float:
        return (at - origin).total_seconds() / 86400

    steps: list[tuple[float, float]] = [(0.0, 0.0)]
    for point in points:
        x = days(point.at)
        steps += [(x, steps[-1][1]), (x, point.cumulative_pence)]
    steps.append((days(end), steps[-1][1]))
    top = max(target_pence, max(v for _, v in steps), 1) * 1.12

    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 46, 26, width - 60, height - 58
    plot.data = [steps, [(0.0, target_pence), (span, target_pence)]]
    plot.lines[0].strokeColor = NAVY
    plot.lines[0].strokeWidth = 1.8
    plot.lines[1].strokeColor = ACCENT
    plot.lines[1].strokeWidth = 1.2
    plot.lines[1].strokeDashArray = [5, 3]
    x_step = next(s for s in (1, 2, 3, 7, 14, 28, 56, 91, 182, 364) if span / s <= 8)
    plot.xValueAxis.valueMin = 0
    plot.xValueAxis.valueMax = span
    plot.xValueAxis.valueSteps = [d for d in range(0, int(span) + 1, x_step)]
    plot.xValueAxis.labelTextFormat = lambda v: london_date(origin + timedelta(days=v), "d MMM")
    y_step = nice_max(top / 5)
    plot.yValueAxis.valueMin = 0
    plot.yValueAxis.valueMax = top
    plot.yValueAxis.valueSteps = [i * y_step for i in range(int(top // y_step) + 1)]
    plot.yValueAxis.labelTextFormat = axis_money
    plot.yValueAxis.visibleGrid = 1
    plot.yValueAxis.gridStrokeColor = RULE
    plot.yValueAxis.gridStrokeWidth = 0.25
    for axis in (plot.xValueAxis, plot.yValueAxis):
        axis.labels.fontName = FONT
        axis.labels.fontSize = 7
        axis.labels.fillColor = MUTED
        axis.strokeColor = RULE
    drawing.add(plot)

    def to_x(d: float) -> float:
        return plot.x + plot.width * d / span

    def to_y(v: float) -> float:
        return plot.y + plot.height * v / top

    label = f"Target {compact_money(target_pence)}"
    drawing.add(String(plot.x + 4, to_y(target_pence) + 4, label, fontName=BOLD, fontSize=7, fillColor=ACCENT))
    if deadline is not None and 0 <= days(deadline) <= span:
        x = to_x(days(deadline))
        drawing.add(
            Line(x, plot.y, x, plot.y + plot.height, strokeColor=MUTED, strokeWidth=0.8, strokeDashArray=[2, 2])
        )
        drawing.add(String(x - 3, plot.y + 4, "Deadline", fontName=FONT, fontSize=7, fillColor=MUTED, textAnchor="end"))
    _line_legend(
        drawing, 46, height - 12, [(NAVY, None, "Cumulative match funding pledged"), (ACCENT, [5, 3], "Target")]
    )
    return drawing


def _line_legend(drawing: Drawing, x: float, y: float, items) -> None:
    for colour, dash, text in items:
        drawing.add(Line(x, y + 3, x + 18, y + 3, strokeColor=colour, strokeWidth=1.8, strokeDashArray=dash))
        drawing.add(String(x + 23, y, text, fontName=FONT, fontSize=7.5, fillColor=INK))
        x += 23 + stringWidth(text, FONT, 7.5) + 16


def homes_bands(rows: list[PackRegion]) -> list[tuple[int, int | None, str]]:
    """The map's shading bands as (low, high, label); band 0 is "none", the last has no upper bound."""
    top = max((r.homes for r in rows), default=0)
    step = _nice_floor(top / 4) if top >= 4 else 1  # rounding down keeps the darkest band in use
    bands: list[tuple[int, int | None, str]] = [(0, 0, "None")]
    for i in range(len(SCALE) - 1):
        low, high = i * step + 1, (i + 1) * step
        if i == len(SCALE) - 2:
            bands.append((low, None, f"{format_count(low)} or more"))
        else:
            bands.append((low, high, f"{format_count(low)} – {format_count(high)}"))
    return bands


def band_of(homes: int, bands: list[tuple[int, int | None, str]]) -> int:
    """Index of the band ``homes`` falls in."""
    for index, (low, high, _label) in enumerate(bands):
        if homes >= low and (high is None or homes <= high):
            return index
    return 0


def tile_map(rows: list[PackRegion]) -> Drawing:
    """The twelve ITL1 regions as a tile grid, shaded by homes covered, every tile labelled with its figures."""
    tile_w, tile_h, gap = 72, 54, 4
    bands = homes_bands(rows)
    grid_w = 5 * (tile_w + gap)
    height = 4 * (tile_h + gap) + 4
    drawing = Drawing(FRAME_WIDTH, height)
    for region in rows:
        if region.code not in TILE_GRID:
            continue
        col, row = TILE_GRID[region.code]
        x = col * (tile_w + gap)
        y = height - (row + 1) * (tile_h + gap)
        band = band_of(region.homes, bands)
        ink = WHITE if band >= 3 else INK
        drawing.add(
            Rect(
                x,
                y,
                tile_w,
                tile_h,
                fillColor=SCALE[band],
                strokeColor=NAVY if band else RULE,
                strokeWidth=0.5,
                rx=3,
                ry=3,
            )
        )
        lines = _wrap(_short(region), BOLD, 7.2, tile_w - 8)
        ty = y + tile_h - 11
        for line in lines:
            drawing.add(String(x + 4, ty, line, fontName=BOLD, fontSize=7.2, fillColor=ink))
            ty -= 8.5
        homes = "No homes" if not region.homes else f"{compact_count(region.homes)} homes"
        drawing.add(String(x + 4, y + 15, homes, fontName=BOLD, fontSize=8.5, fillColor=ink))
        members = f"{region.members} member{'' if region.members == 1 else 's'}"
        drawing.add(String(x + 4, y + 5, members, fontName=FONT, fontSize=6.5, fillColor=ink))
    # Legend, to the right of the grid.
    lx = grid_w + 12
    ly = height - 14
    drawing.add(String(lx, ly, "Homes covered", fontName=BOLD, fontSize=8, fillColor=NAVY))
    for index, (_low, _high, label) in enumerate(bands):
        ly -= 16
        drawing.add(
            Rect(lx, ly - 2, 12, 10, fillColor=SCALE[index], strokeColor=NAVY if index else RULE, strokeWidth=0.5)
        )
        drawing.add(String(lx + 17, ly, label, fontName=FONT, fontSize=7.5, fillColor=INK))
    return drawing


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if stringWidth(candidate, font, size) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    return [*lines, line][:2]
