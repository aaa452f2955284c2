"""The building blocks of the API's Pydantic schemas: strict request bodies, the types their fields use, and
the JSON Schema generator that turns request bodies and response models into the OpenAPI description.

A request body is a ``TypedDict`` deriving from ``Body`` with ``total=False``: every field may be left out
(a PATCH sends only what changes, and the services answer a missing value with their own message), and the
checked body is a plain dict of the fields that were sent. ``body_config(...)`` names the fields the
description marks as required. Types are strict: ``"5"`` is not a number and ``1`` is not true. Strings are
``Text`` so that NUL characters and lone UTF-16 surrogates (which JSON can carry but no database column can
store) are refused naming the field.

    class PledgeBody(Body, total=False):
        __pydantic_config__ = body_config("amount_pence")
        amount_pence: Annotated[int, field("The amount pledged, in pence.", minimum=1)]
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict  # pydantic needs typing_extensions' TypedDict before Python 3.12

from app.regions import REGIONS
from app.text import NOT_UNICODE

DATETIME_MESSAGE = "Must be an ISO 8601 date and time with a UTC offset, e.g. 2026-08-14T17:00:00+01:00."


def body_config(*required: str) -> ConfigDict:
    """A body's Pydantic config: strict types, no unknown fields.

    ``required`` are marked required in the description only. They are not checked here: the service refuses
    a missing value with a message that says what to enter, the same message the web form shows.
    """
    return ConfigDict(extra="forbid", strict=True, json_schema_extra={"required": list(required)} if required else None)


class Body(TypedDict, total=False):
    """A JSON request body (a subclass adds its fields, with ``total=False``)."""

    __pydantic_config__ = body_config()  # type: ignore[misc]


class Empty(Body, total=False):
    """No fields: an action that takes none refuses any it is sent."""


class ResponseBody(BaseModel):
    """A response body, described field by field (the serializers build it; this model only describes it)."""

    model_config = ConfigDict(extra="forbid")


def field(
    description: str = "",
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    max_length: int | None = None,
    max_items: int | None = None,
) -> Any:
    """What a body field's ``Annotated[...]`` adds to its type: its description and limits.

    ``minimum``, ``maximum`` and ``max_length`` go into the description only: the service checks them with a
    message in the domain's words ("The amount must be more than £0."). ``max_items`` is checked here.
    """
    extra = {"minimum": minimum, "maximum": maximum, "maxLength": max_length}
    return Field(
        description=description or None,
        max_length=max_items,
        json_schema_extra={k: v for k, v in extra.items() if v is not None} or None,
    )


def storable(value: str) -> bool:
    """Whether ``value`` is valid Unicode: no lone surrogate, so it can be encoded and stored."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text(value: str) -> str:
    if not storable(value):
        # The same answer the request edge gives (app.text.not_unicode), so the model holds by itself.
        raise PydanticCustomError("lone_surrogate", NOT_UNICODE)
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "Must not contain NUL characters.")
    return value


#: Text that a database can store: no NUL characters, no lone surrogates.
Text = Annotated[str, AfterValidator(_text)]


def one_of(*choices: str) -> Any:
    """A text field that takes one of ``choices``; anything else is refused listing them."""
    allowed = frozenset(choices)

    def check(value: str) -> str:
        if value not in allowed:
            raise PydanticCustomError("choice", "Must be one of: {choices}.", {"choices": ", ".join(choices)})
        return value

    return Annotated[Text, AfterValidator(check), WithJsonSchema({"type": "string", "enum": list(choices)})]


#: An ITL1 region's short code.
Region = one_of(*REGIONS)


def parse_datetime(text: str) -> datetime | None:
    """An ISO 8601 date and time with an offset, as aware UTC; None for anything else (dates alone included)."""
    if not 16 <= len(text) <= 40 or "T" not in text.upper():
        return None
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None or not 1970 <= moment.year <= 9000:
            return None
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _moment(value: Any) -> datetime:
    if isinstance(value, str) and not storable(value):
        raise PydanticCustomError("lone_surrogate", NOT_UNICODE)
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        raise PydanticCustomError("datetime", DATETIME_MESSAGE)
    return moment


#: A moment sent as ISO 8601 text with an offset; the body holds it as an aware UTC datetime.
When = Annotated[datetime, PlainValidator(_moment), WithJsonSchema({"type": "string", "format": "date-time"})]


DATE_MESSAGE = "Must be a date written year-month-day, e.g. 2027-01-15."


def _day(value: Any) -> date:
    if isinstance(value, str) and not storable(value):
        raise PydanticCustomError("lone_surrogate", NOT_UNICODE)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("date", DATE_MESSAGE)


#: A date sent as ``YYYY-MM-DD`` text (``02/11/2020`` is refused: day or month first would be a guess).
Day = Annotated[date, PlainValidator(_day), WithJsonSchema({"type": "string", "format": "date"})]


class SchemaGenerator(GenerateJsonSchema):
    """JSON Schema for the OpenAPI description: no generated titles, and no ``default: null`` for a response
    field that may be absent."""

    def field_title_should_be_set(self, schema) -> bool:
        return False

    def default_schema(self, schema):
        out = super().default_schema(schema)
        if "default" in out and out["default"] is None:
            del out["default"]
        return out

    def model_schema(self, schema):
        out = super().model_schema(schema)
        out.pop("title", None)
        return out

    def typed_dict_schema(self, schema):
        out = super().typed_dict_schema(schema)
        out.pop("title", None)
        return out
