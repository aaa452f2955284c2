"""Geometry for the server-rendered SVG charts: numbers in, coordinates and labels out (templates draw)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from app.infra import clock
from app.money import format_pence
from app.scales import nice_max
from app.services.snapshots import Point, Projection, value_at
from app.text import axis_money

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 92, 24, 20, 44


def cumulative(
    points: list[Point],
    *,
    metric: str,
    target: int | None,
    start: datetime,
    deadline: datetime,
    now: datetime,
    projection: Projection | None = None,
) -> dict:
    """The pledged-over-time step chart: path, target line, deadline marker, ticks and a daily table."""
    money = metric == "pledged_pence"
    end = max(deadline, now)
    if end <= start:
        end = start + timedelta(hours=1)
    values = [p.pledged_pence if money else p.members for p in points]
    highest = max([*values, target or 0, projection.projected_pence if projection and money else 0, 1]) * 1.05
    # Money gets a round axis end; a count of organisations one divisible by four, so every tick is whole.
    top = nice_max(highest) if money else 4 * math.ceil(highest / 4)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(moment: datetime) -> float:
        return round(LEFT + plot_w * (moment - start).total_seconds() / (end - start).total_seconds(), 1)

    def y(value: float) -> float:
        return round(TOP + plot_h * (1 - value / top), 1)

    # Each gridline's label is its value exactly (axis_money: "£1.25m", never "£1.2m" on the £1.25m line).
    fmt = axis_money if money else (lambda v: f"{v:,.0f}")
    path = [f"M{x(start)},{y(0)}"]
    current = 0
    for point, value in zip(points, values, strict=True):
        at = max(point.at, start)
        path.append(f"H{x(at)}V{y(value)}")
        current = value
    path.append(f"H{x(min(now, end))}")
    ticks_y = [{"y": y(top * i / 4), "label": fmt(top * i / 4)} for i in range(5)]
    ticks_x = []
    for i in range(4):
        moment = start + (end - start) * i / 3
        local = clock.to_london(moment)
        ticks_x.append({"x": x(moment), "label": f"{local.day} {local:%b}"})
    chart = {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "path": "".join(path),
        "ticks_x": ticks_x,
        "ticks_y": ticks_y,
        "deadline_x": x(deadline),
        "deadline_label": clock.format_uk(deadline),
        "now_x": x(min(now, end)),
        "now_y": y(current),
        "current_label": format_pence(current) if money else f"{current:,} members",
        "money": money,
        "target_y": y(target) if target else None,
        "target_label": (format_pence(target) if money else f"{target:,} members") if target else None,
        "projection": None,
        "table": daily_table(points, start=start, until=min(now, end), money=money),
    }
    if projection is not None and money and now < deadline:
        chart["projection"] = {
            "x1": x(now),
            "y1": y(current),
            "x2": x(deadline),
            "y2": y(projection.projected_pence),
            "label": format_pence(projection.projected_pence),
        }
    chart["desc"], chart["caption"] = _words(chart)
    return chart


def _words(c: dict) -> tuple[str, str]:
    """The chart's description (its ``<desc>``) and caption: the figures in words, for those who cannot see it."""
    what = "Total pledged" if c["money"] else "Organisations pledged"
    desc = f"{what} so far: {c['current_label']}."
    if c["target_label"]:
        desc += f" Target: {c['target_label']} (dashed line)."
    desc += f" Deadline: {c['deadline_label']} (dotted line)."
    if c["projection"]:
        desc += f" Projected by the deadline at the recent rate: {c['projection']['label']}."
    desc += " The figures by day are in the table below the chart."
    caption = "Money pledged over time" if c["money"] else "Organisations pledged over time"
    caption += f": solid line, now {c['current_label']}"
    if c["target_label"]:
        caption += "; dashed line, the target"
    caption += "; dotted line, the deadline"
    if c["projection"]:
        caption += "; thin dashed slope, the projection"
    return desc, caption + "."


def daily_table(points: list[Point], *, start: datetime, until: datetime, money: bool) -> list[dict]:
    """The chart's numbers by UK day: the figure at the end of each day (today: so far)."""
    rows = []
    day = clock.to_london(start).date()
    last = clock.to_london(until).date()
    if (last - day).days > 120:  # a very long bid: the latest four months are enough for a table
        day = last - timedelta(days=120)
    while day <= last:
        end_of_day = clock.from_london(day + timedelta(days=1), datetime.min.time()) - timedelta(microseconds=1)
        moment = min(end_of_day, until)
        value = format_pence(value_at(points, moment)) if money else f"{_members_at(points, moment):,}"
        rows.append({"day": clock.format_uk(moment, with_time=False), "value": value})
        day += timedelta(days=1)
    return rows


def _members_at(points: list[Point], moment: datetime) -> int:
    count = 0
    for point in points:
        if point.at > moment:
            break
        count = point.members
    return count


def regions(region_totals: list, *, show_amounts: bool) -> dict:
    """Horizontal bar charts of money and homes by region, each bar labelled with its figure."""
    row_h, label_w, bar_w = 22, 190, 300
    panels = []
    # Without amounts, neither money nor homes by region (one member's change would move a bar): counts only.
    measures = [("amount_pence", "Money", format_pence), ("homes", "Homes", lambda v: f"{v:,}")]
    if not show_amounts:
        measures = [("members", "Member organisations", lambda v: f"{v:,}")]
    for key, title, fmt in measures:
        top = max([getattr(r, key) for r in region_totals] + [1])
        bars = []
        for i, r in enumerate(region_totals):
            value = getattr(r, key)
            width = round(bar_w * value / top, 1)
            bars.append({"y": 28 + i * row_h, "name": r.name, "width": width, "label": fmt(value), "value": value})
        shown = [f"{b['name']}: {b['label']}." for b in bars if b["value"]] or ["Nothing pledged yet."]
        panels.append(
            {
                "key": key,
                "title": f"{title} by region",
                "bars": bars,
                "desc": " ".join([*shown, 'The same figures are in the table "Pledges by region".']),
                "label_w": label_w,
                "height": 36 + len(region_totals) * row_h,
                "width": label_w + bar_w + 120,
            }
        )
    return {"panels": panels}
