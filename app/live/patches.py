"""What an update message carries instead of whole fragments: the parts of the page one event changed.

A snapshot (on connect, on resume, after a change of what the viewer may see) carries the whole live panel as
fragments. An update carries only what moved, rendered from the same partials:

- ``table`` (the convenor's members table): the page's order (organisation ids), the rows that may be new to
  the page, its summary line, caption, totals row and pager. One organisation's change moves one row, so the
  only rows a page can gain are that organisation's and the rows now first and last on the page: the update
  carries those three, and a page that already shows the others reorders its rows without a full table. A
  page that now holds at most one row (it is, or may just have been, empty: no pledges, no match) gets the
  whole fragment instead (``None`` here).
- ``chart``: the over-time chart's line, marker, gridlines, ticks, target, projection, words and the table's
  last days, and each bar chart's widths and labels, as data; ``shape`` names the parts the chart has, so a
  page whose chart has other parts (a projection appeared) asks for a fresh snapshot instead of patching.

live.js applies them; when a page cannot (it lacks a row the order names, its chart has another shape) it
reconnects and takes the snapshot every connection starts with.
"""

from __future__ import annotations

from flask import render_template

from app.services import snapshots

#: how many of the chart table's last days an update carries (today's figure moves; a new day can begin)
TABLE_TAIL = 2


def chart_shape(charts: dict) -> str:
    """Which parts the charts have: the metric, a target line, a projection, and each bar chart's bars."""
    c = charts["cumulative"]
    parts = ["money" if c["money"] else "count"]
    parts += ["target"] if c["target_y"] is not None else []
    parts += ["projection"] if c["projection"] else []
    parts += [f"{p['key']}:{len(p['bars'])}" for p in charts["regions"]["panels"]]
    return " ".join(parts)


def chart(charts: dict) -> dict:
    """The charts as the numbers and words an update moves (the template draws the same from ``charts``, which
    ``render.chart_data`` made with its ``shape``)."""
    c = charts["cumulative"]
    projection = c["projection"]
    return {
        "shape": charts["shape"],
        "line": c["path"],
        "now": [c["now_x"], c["now_y"]],
        "ticks_y": [[t["y"], t["label"]] for t in c["ticks_y"]],
        "ticks_x": [[t["x"], t["label"]] for t in c["ticks_x"]],
        "target": [c["target_y"], c["target_label"]] if c["target_y"] is not None else None,
        "projection": [projection[k] for k in ("x1", "y1", "x2", "y2", "label")] if projection else None,
        "desc": c["desc"],
        "caption": c["caption"],
        "table_tail": [[row["day"], row["value"]] for row in c["table"][-TABLE_TAIL:]],
        "bars": {
            p["key"]: {"left": p["label_w"], "desc": p["desc"], "bars": [[b["width"], b["label"]] for b in p["bars"]]}
            for p in charts["regions"]["panels"]
        },
    }


def table(snap: snapshots.Snapshot, ctx: dict, change) -> dict | None:
    """The convenor's members table as one event changed it, or None when the whole fragment must go."""
    page = snap.member_page
    if page is None or not page.rows or len(page.rows) <= 1:
        return None  # the page is, or was a moment ago, one of the empty states: the whole fragment
    wanted = {change.organisation_id, page.rows[0].organisation_id, page.rows[-1].organisation_id}
    return {
        "order": [m.organisation_id for m in page.rows],
        "rows": {
            str(m.organisation_id): render_template("live/_member_row_convenor.html", m=m, **ctx)
            for m in page.rows
            if m.organisation_id in wanted
        },
        "summary": render_template("live/_members_summary.html", **ctx),
        "caption": f"Members and their pledges, page {page.page} of {page.pages}",  # as _members_convenor.html
        "foot": render_template("live/_members_foot.html", **ctx),
        "pager": render_template("live/_members_pager.html", **ctx),
    }
