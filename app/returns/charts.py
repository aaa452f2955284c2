"""Month-on-month bar charts as plain SVG geometry, drawn on the server (no script), each beside its table."""

from __future__ import annotations

from app.units import format_figure

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 220, 8, 40, 16


def bars(rows: list[dict], code: str) -> dict:
    """Bars for one measure over the periods in ``rows``; a suppressed or absent figure is a gap, labelled."""
    points = [(r["period"], r["measures"].get(code)) for r in rows]
    values = [c["total"] for _, c in points if c and c["total"] is not None]
    top = max(values, default=0) or 1
    slot = (WIDTH - LEFT * 2) / max(len(points), 1)
    drawn = []
    for n, (period, cell) in enumerate(points):
        value = cell["total"] if cell else None
        height = 0 if value is None else round((HEIGHT - BOTTOM - TOP) * value / top, 1)
        unit = cell["unit"] if cell else "count"
        drawn.append(
            {
                "x": round(LEFT + n * slot + slot * 0.15, 1),
                "width": round(slot * 0.7, 1),
                "y": round(HEIGHT - BOTTOM - height, 1),
                "height": height,
                "label": period,
                "text": "suppressed" if cell and cell.get("suppressed") else format_figure(unit, value),
                "cx": round(LEFT + n * slot + slot / 2, 1),
            }
        )
    return {"width": WIDTH, "height": HEIGHT, "baseline": HEIGHT - BOTTOM, "bars": drawn}
