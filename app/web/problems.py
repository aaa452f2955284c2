"""RFC 9457 problem details: the JSON body every API error and refusal is sent as."""

from __future__ import annotations

from flask import g, has_request_context, jsonify


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    type_slug: str | None = None,
    errors: dict | None = None,
    **extra,
):
    body = {"type": f"/api/v1/problems/{type_slug or _slug(status)}", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    if has_request_context() and g.get("request_id"):
        body.setdefault("request_id", g.request_id)  # quoted in a report, it finds the request in the logs
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _slug(status: int) -> str:
    return {
        400: "malformed",
        401: "unauthorised",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        409: "conflict",
        413: "too-large",
        415: "unsupported-media-type",
        422: "validation-error",
        429: "rate-limited",
        500: "server-error",
        503: "unavailable",
    }.get(status, "error")
