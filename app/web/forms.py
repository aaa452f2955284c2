"""Form helpers shared by the blueprints: money fields, region checkboxes, London date-times, and the one way a
view calls a service for a submitted form (``call_service``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from flask import flash
from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, SelectChoice, SelectMultipleField, StringField, widgets
from wtforms.validators import StopValidation, ValidationError

from app.infra import clock
from app.money import MoneyError, parse_pounds
from app.regions import REGION_CHOICES
from app.services.errors import DomainError, ValidationFailed
from app.web.transaction import done_writing

T = TypeVar("T")


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


class WholeNumberField(IntegerField):
    """A whole number as people type it (``12400`` or ``12,400``), with a message of the form's choosing.

    WTForms' own IntegerField says "Not a valid integer value." and then lets range validators run on
    the missing value, which adds a second, wrong message ("cannot be negative") for text like "lots".
    """

    def __init__(self, label=None, validators=None, *, invalid: str = "Enter a whole number, for example 12400.", **kw):
        super().__init__(label, validators, **kw)
        self.invalid = invalid

    def process_formdata(self, valuelist) -> None:
        if not valuelist:
            return
        text = str(valuelist[0]).strip().replace(",", "").replace(" ", "")
        if not text:
            self.data = None
            return
        try:
            self.data = int(text)
        except ValueError:
            self.data = None
            raise ValueError(self.invalid) from None

    def pre_validate(self, form) -> None:
        if self.process_errors:
            raise StopValidation()


class RegionsField(SelectMultipleField):
    """The twelve ITL1 regions as checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, label=None, validators=None, **kwargs):
        # SelectChoice objects: WTForms 3.3 deprecates (value, label) tuples.
        super().__init__(label, validators, choices=[SelectChoice(v, n) for v, n in REGION_CHOICES], **kwargs)

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
    """Put a service's field messages beside the form's fields (or at the top when there is no such field).

    Messages about hidden fields (a form's version) also go at the top: no one would see them beside the field.
    """
    mapping = mapping or {}
    for name, messages in error.errors.items():
        field = getattr(form, mapping.get(name, name), None)
        if not isinstance(field, Field) or field.type in ("HiddenField", "CSRFTokenField"):
            form.form_errors.extend(messages)
        else:
            field.errors = [*field.errors, *messages] if isinstance(field.errors, list) else list(messages)


def add_rule_errors(form: FlaskForm, check, mapping: dict[str, str] | None = None, ignore=()) -> None:
    """Run a service's value check (``check()`` raising ValidationFailed) and show its messages on the fields
    the form's own checks passed, so every problem is listed at once rather than one layer per submit.

    ``ignore`` names service fields whose messages would only repeat a form error in other words.
    """
    try:
        check()
    except ValidationFailed as exc:
        mapping = mapping or {}
        for name, messages in exc.errors.items():
            if name in ignore:
                continue
            field = getattr(form, mapping.get(name, name), None)
            if isinstance(field, Field) and not field.errors and field.type not in ("HiddenField", "CSRFTokenField"):
                field.errors = list(messages)


def has_errors(form: FlaskForm) -> bool:
    return bool(form.form_errors) or any(field.errors for field in form)


@dataclass
class Refused:
    """What ``call_service`` returns when the service refused; ``error`` is the domain error it raised."""

    error: DomainError


#: Where ``call_service`` puts a refusal that is not about one field: a flash message instead of the form.
FLASH = "flash"


def call_service(
    form: FlaskForm | None,
    call: Callable[[], T],
    mapping: dict[str, str] | None = None,
    *,
    message_to: FlaskForm | str | None = None,
    apart: tuple[type[DomainError], ...] = (),
    invalid_message: str | None = None,
) -> T | Refused:
    """Run one service call for a submitted form or an action button, in the request's one transaction.

    Returns the call's result (the request lifecycle commits it once the view returns). When the service
    raises a domain error, undoes what it did and returns ``Refused``: a ValidationFailed's messages go
    beside ``form``'s fields (mapped by ``mapping``); any other refusal's message goes to the top of
    ``message_to`` (default ``form``), or is flashed when that is ``FLASH`` or there is no form
    (``invalid_message`` then stands in for field messages no one would see). Errors of the types in
    ``apart`` are only returned, for the view to show in its own way.
    """
    try:
        return call()
    except DomainError as exc:
        # The page is re-shown from fresh state: nothing the refused call changed may stay in the session, and
        # the page is rendered in a read transaction (on SQLite no other writer waits behind it).
        done_writing()
        if not isinstance(exc, apart):
            _show(exc, form, mapping, message_to, invalid_message)
        return Refused(exc)


def _show(exc: DomainError, form, mapping, message_to, invalid_message) -> None:
    target = form if message_to is None else message_to
    if isinstance(exc, ValidationFailed) and form is not None:
        apply_errors(form, exc, mapping)
    elif target is None or target == FLASH:
        if isinstance(exc, ValidationFailed):
            flash(invalid_message or next(iter(exc.errors.values()))[0], "error")
        else:
            flash(exc.message, "error")
    else:
        target.form_errors.append(exc.message)
