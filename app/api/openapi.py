"""The OpenAPI 3.1 description of the API, built from the URL map and each view's ``@describe`` declaration.

Paths and path parameters come from the routes; summaries, bodies, responses and errors from the
declarations; every schema from Pydantic's JSON Schema generation, over the request bodies (declared
beside their views) and the response models (app/api/responses.py).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, current_app, jsonify
from pydantic import TypeAdapter
from werkzeug.routing import Rule
from werkzeug.routing.converters import NumberConverter

from app.api import responses as r
from app.api.blueprint import bp
from app.api.fields import SchemaGenerator
from app.api.helpers import ETAG_PATTERN
from app.api.operations import Operation, Reply, describe
from app.api.validation import DEFAULT_PER_PAGE, MAX_PER_PAGE

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
REF = "#/components/schemas/{model}"
ERRORS = {
    400: "The request is malformed: the body is not a JSON object, or a header is garbled.",
    401: "No token, or a token that is unknown, revoked or belongs to a disabled user.",
    403: "The caller may see the bid but may not do this.",
    404: "No such thing, or the caller may not know it exists (another organisation's pledge is 404).",
    409: "A conflict: a stale version (type stale-version), a bid not taking pledges (type bid-closed), "
    "or a change the bid's status does not allow (type invalid-transition).",
    413: "The body is larger than the API accepts.",
    422: "Invalid values: `errors` maps each field (or query parameter) to its messages. Unknown fields, unknown "
    "query parameters and wrong types are refused.",
    429: "Too many requests for this token; wait for Retry-After seconds.",
}
#: Path parameters by name; their schema comes from the route's converter.
PATH_PARAMETERS = {
    "bid_id": "The bid's id.",
    "pledge_id": "The pledge's id.",
    "request_id": "The join request's id.",
    "programme_id": "The impact returns programme's id.",
    "period": "A period: `YYYY-MM`, or the combined first period `YYYY-MM..YYYY-MM`.",
    "version": "The bid pack's version number.",
    "file": "The file: `pdf`, `xlsx`, `csv` or `zip` (or its file name, e.g. `bid-pack.pdf`).",
}
PARAMETERS = {
    "last_event_id": {
        "name": "Last-Event-ID",
        "in": "header",
        "description": "The id of the last event received: the stream resumes after it.",
        "schema": {"type": "string"},
    },
    "page": {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
    "tag": {
        "name": "tag",
        "in": "query",
        "description": "Only organisations with this tag.",
        "schema": {"type": "string"},
    },
    "region": {
        "name": "region",
        "in": "query",
        "description": "Only organisations in this ITL1 region (code).",
        "schema": {"type": "string"},
    },
    "q": {
        "name": "q",
        "in": "query",
        "description": "Search in the name, identifier and contact email addresses.",
        "schema": {"type": "string"},
    },
    "pledged": {
        "name": "pledged",
        "in": "query",
        "description": "`yes`: has pledged to one of the body's bids; `no`: has not.",
        "schema": {"type": "string", "enum": ["yes", "no"]},
    },
    "per_page": {
        "name": "per_page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
    },
    "if_match": {
        "name": "If-Match",
        "in": "header",
        "description": 'The ETag (version) you read, e.g. "3": a write based on an older version is refused with 409.',
        "schema": {"type": "string", "pattern": ETAG_PATTERN},
    },
    "if_none_match": {
        "name": "If-None-Match",
        "in": "header",
        "description": "`*`: only create; 409 if the organisation already has a pledge.",
        "schema": {"type": "string", "enum": ["*"]},
    },
}
REQUIRED_HEADER = {"schema": {"type": "string"}, "required": True}


class UndescribedRoute(LookupError):
    """An /api/v1 route whose view has no ``@describe`` declaration."""


def api_operations(app: Flask) -> list[tuple[Rule, str, Operation]]:
    """Every API route and method with its declaration, from the URL map; UndescribedRoute for one without."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(f"{bp.name}."):
            continue
        operation = getattr(app.view_functions[rule.endpoint], "api_operation", None)
        if operation is None:
            raise UndescribedRoute(f"{rule.endpoint} ({rule.rule}) has no @describe declaration")
        found += [(rule, method.lower(), operation) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


def build(app: Flask) -> dict[str, Any]:
    routes = api_operations(app)
    models: dict[type, None] = {r.Problem: None}  # bodies (TypedDicts) and response models, once each
    for _rule, _method, operation in routes:
        models |= {m: None for m in (operation.body, *(x.model for x in operation.replies.values())) if m}
    generator = SchemaGenerator(ref_template=REF, union_format="primitive_type_array")
    refs, defs = generator.generate_definitions([(m, "validation", TypeAdapter(m).core_schema) for m in models])
    by_model = {model: ref for (model, _mode), ref in refs.items()}
    paths: dict[str, dict[str, Any]] = {}
    for rule, method, operation in routes:
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix(bp.url_prefix))
        paths.setdefault(path, {})[method] = _operation(rule, operation, by_model)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Consortium Bid Manager API",
            "version": "1.0.0",
            "description": "Bids, invitations and pledges of match funding. Money is integer pence (`*_pence`) "
            "with a formatted GBP string beside it; times are ISO 8601 with offset, in UTC. Errors are "
            "`application/problem+json` (RFC 9457). Lists take `page` and `per_page` (up to 100).",
        },
        "servers": [{"url": bp.url_prefix}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token (cbm_…) from the account page or `flask users token`.",
                }
            },
            "parameters": PARAMETERS,
            "schemas": defs,
        },
    }


def _operation(rule: Rule, operation: Operation, refs: dict[type, dict[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {"operationId": operation.operation_id, "summary": operation.summary, "tags": [operation.tag]}
    # The route's converters, by argument (Werkzeug keeps them on the rule and has no public accessor).
    parameters = [_path_parameter(name, converter) for name, converter in rule._converters.items()]
    names = (*operation.headers, *(("page", "per_page") if operation.paged else ()), *operation.query)
    parameters += [{"$ref": f"#/components/parameters/{name}"} for name in names]
    if parameters:
        out["parameters"] = parameters
    errors = {*operation.errors, 422, 429}
    if operation.raw_body:
        out["requestBody"] = {
            "required": True,
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in operation.raw_body},
        }
        errors |= {400, 413, 422}
    if operation.body is not None:
        out["requestBody"] = {
            "required": operation.body_required,
            "content": {JSON: {"schema": refs[operation.body]}},
        }
        errors |= {400, 413, 422}
    if operation.auth != "none":
        errors.add(401)
    out["responses"] = {str(code): _reply(reply, refs) for code, reply in sorted(operation.replies.items())}
    out["responses"] |= {str(code): _problem(code, refs[r.Problem]) for code in sorted(errors)}
    if operation.auth == "optional":
        out["security"] = [{}, {"bearerAuth": []}]
    elif operation.auth == "none":
        out["security"] = []
    return out


def _path_parameter(name: str, converter) -> dict[str, Any]:
    """A path parameter; an integer converter's bounds become the schema's (ids and versions start at 1)."""
    if isinstance(converter, NumberConverter):
        schema: dict[str, Any] = {"type": "integer", "minimum": 1 if converter.min is None else converter.min}
        if converter.max is not None:
            schema["maximum"] = converter.max
    else:
        schema = {"type": "string"}
    parameter = {"name": name, "in": "path", "required": True, "schema": schema}
    if name in PATH_PARAMETERS:
        parameter["description"] = PATH_PARAMETERS[name]
    return parameter


def _reply(reply: Reply, refs: dict[type, dict[str, str]]) -> dict[str, Any]:
    content = reply.content or {JSON: {"schema": refs[reply.model]}}
    out: dict[str, Any] = {"description": reply.description, "content": content}
    headers = {}
    if reply.etag:
        headers["ETag"] = {"description": "The version, for If-Match.", **REQUIRED_HEADER}
    if reply.location:
        headers["Location"] = REQUIRED_HEADER
    if headers:
        out["headers"] = headers
    return out


def _problem(status: int, ref: dict[str, str]) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": ERRORS[status],
        "content": {PROBLEM_JSON: {"schema": ref}},
    }
    if status == 401:
        response["headers"] = {"WWW-Authenticate": REQUIRED_HEADER}
    if status == 429:
        response["headers"] = {"Retry-After": REQUIRED_HEADER}
    return response


def spec(app: Flask | None = None) -> dict[str, Any]:
    """The description for ``app`` (the current app by default), built once per app."""
    app = app or current_app._get_current_object()
    if "api_openapi" not in app.extensions:
        app.extensions["api_openapi"] = build(app)
    return app.extensions["api_openapi"]


@bp.get("/openapi.json")
@describe(
    "getOpenApi",
    "This description.",
    tag="meta",
    replies={200: Reply("The OpenAPI 3.1 description.", content={JSON: {"schema": {"type": "object"}}})},
    auth="none",
)
def openapi():
    return jsonify(spec())
