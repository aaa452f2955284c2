"""The impact returns blueprint, shared by the convenor's and the member's views."""

from datetime import timedelta

from flask import Blueprint

from app.infra import clock

bp = Blueprint("returns", __name__)


@bp.app_template_filter("uk_day_end")
def uk_day_end(moment) -> str:
    """A due or lock moment (the first instant of the next UK day) as the day it ends: ``end of Friday 15 May
    2020 (UK time)``."""
    if moment is None:
        return "never"
    return f"end of {clock.format_uk(moment - timedelta(seconds=1), with_time=False)} (UK time)"
