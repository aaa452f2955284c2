"""Template filters and globals: money as GBP, times the UK way in Europe/London."""

from __future__ import annotations

from datetime import date

from flask import Flask

from app.infra import clock
from app.infra.links import path_for
from app.money import format_pence, pence_to_pounds_text
from app.regions import REGION_CHOICES, REGIONS, region_names
from app.text import london_date, paragraphs
from app.web.choices import choice_inputs


def counted(value: int | None, one: str, many: str | None = None) -> str:
    """``1 letter``, ``2 letters``, ``1,204 letters``: a count with its noun, singular or plural."""
    value = value or 0
    return f"{value:,} {one if value == 1 else (many or one + 's')}"


def register(app: Flask) -> None:
    app.jinja_env.filters.update(
        money=format_pence,
        pounds_input=pence_to_pounds_text,
        uk_datetime=clock.format_uk,
        uk_datetime_zoned=clock.format_uk_zoned,
        uk_date=lambda value: clock.format_uk(value, with_time=False),
        day=lambda value: london_date(value) if value else "—",
        month=lambda value: london_date(date.fromisoformat(f"{value}-01"), "MMMM yyyy"),
        remaining=lambda deadline: clock.format_remaining(deadline),
        region_names=region_names,
        paragraphs=paragraphs,
        counted=counted,
        iso=lambda value: value.isoformat() if value else "",
        number=lambda value: f"{value:,}" if value is not None else "—",
    )
    app.jinja_env.globals.update(
        choice_inputs=choice_inputs,
        REGIONS=REGIONS,
        REGION_CHOICES=REGION_CHOICES,
        now=clock.now,
        path_for=path_for,
        service_name="Consortium Bid Manager",
    )
