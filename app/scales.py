"""Axis scales shared by the web charts and the bid pack's charts."""

from __future__ import annotations

import math


def nice_max(value: float) -> float:
    """A round number at or above ``value`` for an axis end (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power
