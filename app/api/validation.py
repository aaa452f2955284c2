"""Reading JSON bodies and query parameters strictly: unknown fields and wrong types are refused, never coerced.

The same field declarations produce the request schemas in the OpenAPI description, so the two agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import request

from app.api.errors import invalid, malformed
from app.regions import REGIONS
from app.text import NOT_UNICODE, not_unicode

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 50

_TYPE_MESSAGES = {
    "string": "Must be text.",
    "integer": "Must be a whole number (not a string or a decimal).",
    "boolean": "Must be true or false.",
    "datetime": "Must be an ISO 8601 date and time with a UTC offset, e.g. 2026-08-14T17:00:00+01:00.",
    "array": "Must be a list.",
    "object": "Must be an object.",
}


@dataclass(frozen=True)
class Field:
    """One JSON field: its type, whether it may be null, and what the description says about it."""

    kind: str
    description: str = ""
    nullable: bool = False
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    items: Field | None = None
    max_items: int | None = None
    fields: dict[str, Field] = field(default_factory=dict)
    required: tuple[str, ...] = ()

    def schema(self) -> dict[str, Any]:
        """The JSON Schema (OpenAPI 3.1) for this field."""
        kind = {"datetime": "string"}.get(self.kind, self.kind)
        out: dict[str, Any] = {"type": [kind, "null"] if self.nullable else kind}
        if self.kind == "datetime":
            out["format"] = "date-time"
        if self.description:
            out["description"] = self.description
        if self.max_length is not None:
            out["maxLength"] = self.max_length
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.choices:
            out["enum"] = list(self.choices) + ([None] if self.nullable else [])
        if self.items is not None:
            out["items"] = self.items.schema()
        if self.max_items is not None:
            out["maxItems"] = self.max_items
        if self.kind == "object":
            out.update(object_schema(self.fields, self.required))
        return out


def object_schema(fields: dict[str, Field], required: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "object",
        "properties": {name: f.schema() for name, f in fields.items()},
        "additionalProperties": False,
    }
    if required:
        out["required"] = list(required)
    return out


REGION = Field("string", choices=tuple(REGIONS))


def read_body(fields: dict[str, Field], *, optional: bool = False) -> dict[str, Any]:
    """The request's JSON object, checked against ``fields``; raises 400 or 422 problems."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if optional:
            return {}
        raise malformed("Send a JSON object as the body, with Content-Type: application/json.")
    if not request.is_json:
        raise malformed("The body must be JSON, sent with Content-Type: application/json.")
    try:
        body = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise malformed(f"The body is not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(body, dict):
        raise malformed("The body must be a JSON object.")
    if broken := not_unicode(body):
        raise invalid({path: [NOT_UNICODE] for path in broken})
    errors: dict[str, list[str]] = {}
    clean = check_object(body, fields, errors, prefix="")
    if errors:
        raise invalid(errors)
    return clean


def check_object(body: dict, fields: dict[str, Field], errors: dict[str, list[str]], *, prefix: str) -> dict:
    clean: dict[str, Any] = {}
    for name, value in body.items():
        spec = fields.get(name)
        key = f"{prefix}{name}"
        if spec is None:
            errors.setdefault(key, []).append("Unknown field.")
            continue
        ok, converted = check_value(value, spec, errors, key)
        if ok:
            clean[name] = converted
    return clean


def check_value(value: Any, spec: Field, errors: dict[str, list[str]], key: str) -> tuple[bool, Any]:
    """Whether ``value`` has the declared type, and the value converted (datetimes parsed)."""
    if value is None:
        if spec.nullable:
            return True, None
        errors.setdefault(key, []).append(_TYPE_MESSAGES[spec.kind].replace("Must", "Must not be null; must", 1))
        return False, None
    kind = spec.kind
    if kind == "string" and isinstance(value, str):
        if "\x00" in value:
            errors.setdefault(key, []).append("Must not contain NUL characters.")
            return False, None
        if spec.choices and value not in spec.choices:
            errors.setdefault(key, []).append(f"Must be one of: {', '.join(spec.choices)}.")
            return False, None
        return True, value
    if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
        return True, value
    if kind == "boolean" and isinstance(value, bool):
        return True, value
    if kind == "datetime" and isinstance(value, str):
        moment = parse_datetime(value)
        if moment is None:
            errors.setdefault(key, []).append(_TYPE_MESSAGES["datetime"])
            return False, None
        return True, moment
    if kind == "array" and isinstance(value, list):
        if spec.max_items is not None and len(value) > spec.max_items:
            errors.setdefault(key, []).append(f"Give at most {spec.max_items:,} items.")
            return False, None
        out, ok = [], True
        for index, item in enumerate(value):
            item_ok, converted = check_value(item, spec.items, errors, f"{key}[{index}]")
            ok = ok and item_ok
            out.append(converted)
        return ok, out
    if kind == "object" and isinstance(value, dict):
        before = len(errors)
        converted = check_object(value, spec.fields, errors, prefix=f"{key}.")
        return len(errors) == before, converted
    errors.setdefault(key, []).append(_TYPE_MESSAGES[kind])
    return False, None


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


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not allowed in JSON")


def page_args() -> tuple[int, int]:
    """``?page`` (from 1) and ``?per_page`` (1 to 100); 422 naming the parameter when either is wrong."""
    errors: dict[str, list[str]] = {}
    page = _positive("page", 1, errors)
    per_page = _positive("per_page", DEFAULT_PER_PAGE, errors)
    if per_page is not None and per_page > MAX_PER_PAGE:
        errors.setdefault("per_page", []).append(f"Must be at most {MAX_PER_PAGE}.")
    if errors:
        raise invalid(errors, "Check the query parameters.")
    return page, per_page


def _positive(name: str, default: int, errors: dict[str, list[str]]) -> int | None:
    values = request.args.getlist(name)
    if not values:
        return default
    if len(values) > 1:
        errors.setdefault(name, []).append("Give it once.")
        return None
    text = values[0]
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        errors.setdefault(name, []).append("Must be a whole number from 1.")
        return None
    number = int(text)
    if number < 1:
        errors.setdefault(name, []).append("Must be a whole number from 1.")
        return None
    return number
