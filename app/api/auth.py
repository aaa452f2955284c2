"""Bearer-token authentication, the API's body size limit and its per-token rate limit."""

from __future__ import annotations

from flask import current_app, g, request

from app.api.errors import invalid, unauthorised
from app.api.operations import Operation, declared
from app.infra import tokens
from app.models import User
from app.services import api_tokens


def bearer() -> str | None:
    """The token from ``Authorization: Bearer …``; None when there is no header; ApiProblem when it is garbled."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise unauthorised("Send the token as `Authorization: Bearer <token>`.", bad_token=True)
    return value.strip()


def rate_limit_key() -> str:
    """Per token (by its hash, never the token itself), else per address."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return "api-token:" + tokens.digest(value.strip())
    return "api-addr:" + (request.remote_addr or "unknown")


def rate_limit_value() -> str:
    return current_app.config["API_RATE_LIMIT"]


def before_request() -> None:
    """Apply the API's body limit, then find the caller; 401 unless the endpoint is public."""
    request.max_content_length = min(
        current_app.config.get("API_MAX_BODY_BYTES") or 1024 * 1024,
        current_app.config.get("MAX_CONTENT_LENGTH") or 1 << 62,
    )
    g.api_user = None
    g.api_token_id = None
    # Whether a token is needed, and which query parameters are taken, is in the operation's declaration.
    operation = declared(request.endpoint)
    auth = operation.auth if operation else "required"
    if auth == "none":
        _refuse_unknown_query_parameters(operation)
        return
    token = bearer()
    if token is None:
        if auth != "optional":
            raise unauthorised("This needs an API token: create one on your account page.", bad_token=False)
        _refuse_unknown_query_parameters(operation)
        return
    found = api_tokens.authenticate(token)
    if found is None:
        raise unauthorised("The token is not valid: it may have been revoked.", bad_token=True)
    g.api_user, g.api_token_id = found
    _refuse_unknown_query_parameters(operation)


def _refuse_unknown_query_parameters(operation: Operation | None) -> None:
    """Only an operation declared ``paged`` takes ``?page`` and ``?per_page``; no other takes any."""
    allowed = {"page", "per_page"} if operation and operation.paged else set()
    allowed |= set(operation.query) if operation else set()
    unknown = sorted(k for k in request.args if k not in allowed)
    if unknown:
        raise invalid({k[:100]: ["Unknown query parameter."] for k in unknown[:20]}, "Check the query parameters.")


def caller() -> User:
    """The authenticated user of this request (a view that allows anonymous callers checks g.api_user)."""
    user = g.get("api_user")
    if user is None:  # only public endpoints get here without a user, and they do not call this
        raise unauthorised("This needs an API token.", bad_token=False)
    return user
