"""Form helpers shared by the blueprints: money fields, region checkboxes, London date-times."""

from __future__ import annotations

from datetime import datetime

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, widgets
from wtforms.validators import ValidationError

from app.money import MoneyError, parse_pounds
from app.regions import REGION_CHOICES
from app.services import clock
from app.services.errors import ValidationFailed


class MoneyField(StringField):
    """Pounds as people type them (``£1,250,000``); ``.pence`` holds the integer pence once valid."""

    def __init__(self, label=None, validators=None, *, required: bool = True, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.required = required
        self.pence: int | None = None

    def pre_validate(self, form) -> None:
        self.pence = None
        text = (self.data or "").strip()
        if not text:
            if self.required:
                raise ValidationError("Enter an amount in pounds, for example £250,000.")
            return
        try:
            self.pence = parse_pounds(text)
        except MoneyError as exc:
            raise ValidationError(str(exc)) from None


class RegionsField(SelectMultipleField):
    """The twelve ITL1 regions as checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, choices=REGION_CHOICES, **kwargs)

    def pre_validate(self, form) -> None:
        if self.data:
            unknown = [v for v in self.data if v not in dict(REGION_CHOICES)]
            if unknown:
                raise ValidationError("Choose regions from the list.")


def london_datetime(day_field, time_field) -> datetime | None:
    """Combine a date field and a time field, read as Europe/London wall-clock time, into aware UTC.

    Puts a message on the date field and returns None when it cannot.
    """
    if not day_field.data or not time_field.data:
        return None
    try:
        return clock.from_london(day_field.data, time_field.data)
    except ValueError as exc:
        time_field.errors = [*time_field.errors, str(exc)]
        return None


def apply_errors(form: FlaskForm, error: ValidationFailed, mapping: dict[str, str] | None = None) -> None:
    """Put a service's field messages beside the form's fields (or at the top when there is no such field)."""
    mapping = mapping or {}
    for name, messages in error.errors.items():
        field = getattr(form, mapping.get(name, name), None)
        if field is None:
            form.form_errors.extend(messages)
        else:
            field.errors = [*field.errors, *messages] if isinstance(field.errors, list) else list(messages)


def has_errors(form: FlaskForm) -> bool:
    return bool(form.form_errors) or any(field.errors for field in form)
