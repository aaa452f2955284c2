"""Reading JSON bodies and query parameters strictly: unknown fields and wrong types are refused, never coerced.

A view's body model is the one its ``@describe`` declaration names (app/api/operations.py), so what the
description promises and what the view accepts are the same Pydantic model. Pydantic's per-field errors become
the problem's ``errors``: ``{"regions[0]": ["Must be one of: NE, NW, …"]}``.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from flask import request
from pydantic import TypeAdapter, ValidationError

from app.api.errors import invalid, malformed
from app.api.operations import declared
from app.text import NOT_UNICODE, not_unicode

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 50

#: Pydantic's error types (strict mode) → the API's messages.
_MESSAGES = {
    "string_type": "Must be text.",
    "int_type": "Must be a whole number (not a string or a decimal).",
    "bool_type": "Must be true or false.",
    "list_type": "Must be a list.",
    "model_type": "Must be an object.",
    "dict_type": "Must be an object.",
    "extra_forbidden": "Unknown field.",
}


def read_body() -> dict[str, Any]:
    """The request's JSON object, checked against the body model its operation declares; raises 400 or 422.

    Returns the fields that were sent (and only those), datetimes as aware UTC.
    """
    operation = declared(request.endpoint)
    if operation is None or operation.body is None:
        raise LookupError(f"{request.endpoint} reads a body but its @describe declares none")
    raw = request.get_data(cache=True)
    if not raw.strip():
        if not operation.body_required:
            return {}
        raise malformed("Send a JSON object as the body, with Content-Type: application/json.")
    if not request.is_json:
        raise malformed("The body must be JSON, sent with Content-Type: application/json.")
    try:
        # What json.loads does with bytes, with one decoder built once (json.loads builds one per call).
        body = _DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))
    except (ValueError, RecursionError) as exc:
        raise malformed(f"The body is not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(body, dict):
        raise malformed("The body must be a JSON object.")
    if broken := not_unicode(body):
        raise invalid({path: [NOT_UNICODE] for path in broken})
    return check(operation.body, body)


@cache
def adapter(model: type) -> TypeAdapter:
    """The validator for a body model (built once per model)."""
    if getattr(model, "__required_keys__", None):
        # A key Pydantic would require would be refused with its own message, not the service's.
        raise TypeError(f"{model.__name__} must be declared with total=False")
    return TypeAdapter(model)


def check(model: type, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` checked against ``model``: the fields sent, converted; an ApiProblem (422) naming each bad one."""
    try:
        return adapter(model).validate_python(body)
    except ValidationError as exc:
        found = exc.errors(include_url=False)
        if any(error["type"] == "string_unicode" for error in found):
            # Pydantic stops at a key that is not valid Unicode: name every such key and value, as the edge does.
            raise invalid({path: [NOT_UNICODE] for path in not_unicode(body)}) from None
        errors: dict[str, list[str]] = {}
        for error in found:
            errors.setdefault(_key(error["loc"]), []).append(_message(error))
        raise invalid(errors) from None


def _key(loc: tuple[int | str, ...]) -> str:
    """Pydantic's location as the API names fields: ``invitations[3].email``, ``organisation.name``."""
    key = ""
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        else:
            key += f".{part}" if key else str(part)
    return key


def _message(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "too_long":
        return f"Give at most {error['ctx']['max_length']:,} items."
    text = _MESSAGES.get(kind) or error["msg"]  # our own checks' messages (NUL, choices, datetimes) as written
    if error.get("input", ...) is None and kind != "extra_forbidden":
        text = text.replace("Must", "Must not be null; must", 1)
    return text


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not allowed in JSON")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


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
