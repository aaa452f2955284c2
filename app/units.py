"""Impact returns' measure units as people read them: counts, pence as GBP, tenths of a full-time equivalent."""

from __future__ import annotations

from app.money import format_pence


def format_figure(unit: str, value: int | None) -> str:
    """A figure as people read it: ``1,234``, ``£2,500``, ``2.5 FTE``; ``—`` for none. Negative: ``−£25``."""
    if value is None:
        return "—"
    if value < 0:
        return "−" + format_figure(unit, -value)
    if unit == "pence":
        return format_pence(value)
    if unit == "fte":
        return f"{value / 10:,.1f} FTE"
    return f"{value:,}"
