"""Impact returns forms, and reading a measure's figure as people type it (pounds, tenths of FTE, counts)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField

from app.models import Measure, MeasureUnit
from app.money import MoneyError, parse_pounds

_COUNT = re.compile(r"^[0-9][0-9,]*$")


def parse_figure(measure: Measure, text: str) -> int | None:
    """The figure in the measure's unit; None when empty. Raises ValueError with a message for the field."""
    text = (text or "").strip().replace(" ", "")
    if not text:
        return None
    if measure.unit == MeasureUnit.PENCE:
        try:
            return parse_pounds(text, allow_zero=True)
        except MoneyError as exc:
            raise ValueError(f"{measure.label}: {exc}") from None
    if measure.unit == MeasureUnit.FTE:
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{measure.label}: enter full-time equivalents like 2.5.") from None
        if value != value.quantize(Decimal("0.1")) or not value.is_finite():
            raise ValueError(f"{measure.label}: give full-time equivalents to one decimal place, like 2.5.")
        if value < 0:
            raise ValueError(f"{measure.label} cannot be negative.")
        return int(value * 10)
    if text.startswith("-"):
        raise ValueError(f"{measure.label} cannot be negative.")
    if not _COUNT.match(text):
        raise ValueError(f"{measure.label}: enter a whole number, like 120 (no decimals or words).")
    return int(text.replace(",", ""))


def input_text(unit: str, value: int | None) -> str:
    if value is None:
        return ""
    if unit == "pence":
        return f"{value / 100:.2f}".removesuffix(".00")
    if unit == "fte":
        return f"{value / 10:.1f}"
    return str(value)


class ProgrammeForm(FlaskForm):
    """The programme's own fields; the measures and organisations are read as rows and checkboxes."""

    title = StringField("Title")
    description = TextAreaField("Description")
    first_period = StringField(
        "First period",
        description="A month as YYYY-MM (2026-09), or a combined first period as YYYY-MM..YYYY-MM (2026-08..2026-09).",
    )
    due_days = StringField("Returns are due this many days after a period ends", default="15")
    lock_days = StringField("Returns lock this many days after a period ends (0 = never)", default="45")


class ReturnForm(FlaskForm):
    version = HiddenField()
    story = TextAreaField("Your story", description="What changed this month, in your words (up to 5,000 characters).")
    story_shareable = BooleanField("The convenor may quote our story in the summary report")
    confirm = BooleanField("These figures are right")
    action = HiddenField()


class QueryForm(FlaskForm):
    note = TextAreaField("What should the organisation check?")


class LockExceptionForm(FlaskForm):
    organisation_id = SelectField("Organisation", choices=[], validate_choice=False)
    reason = StringField("Reason")
    end_date = DateField("Open until the end of (UK time)")


class UploadForm(FlaskForm):
    file = FileField(
        "Upload a CSV or XLSX",
        description="A header row of measure codes, then one row of figures. Write “not collected” for any not "
        "collected. The figures are saved as a draft for you to check.",
        validators=[FileRequired("Choose a CSV or XLSX file to upload.")],
    )
