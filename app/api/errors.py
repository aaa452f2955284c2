"""Turning domain errors and malformed requests into RFC 9457 problem responses."""

from __future__ import annotations

from flask import Blueprint

from app.services.errors import DomainError, StaleVersion, TokenInvalid, ValidationFailed
from app.web.problems import problem


class ApiProblem(Exception):
    """A refusal the API layer makes itself (a malformed body, a bad header, a query parameter)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        type_slug: str | None = None,
        errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.type_slug, self.errors, self.headers = type_slug, errors, headers or {}


def malformed(detail: str) -> ApiProblem:
    return ApiProblem(400, "The request is malformed", detail, type_slug="malformed")


def invalid(errors: dict[str, list[str]], detail: str = "Check the values in `errors`.") -> ApiProblem:
    return ApiProblem(422, "Some values are not valid", detail, type_slug="validation-error", errors=errors)


def unauthorised(detail: str, *, bad_token: bool) -> ApiProblem:
    challenge = 'Bearer realm="api"' + (', error="invalid_token"' if bad_token else "")
    return ApiProblem(
        401, "Authentication needed", detail, type_slug="unauthorised", headers={"WWW-Authenticate": challenge}
    )


def domain_problem(exc: DomainError):
    """The problem response for a domain error raised by a service."""
    extra = {}
    errors = None
    status = exc.status
    if isinstance(exc, ValidationFailed):
        errors = exc.errors
    elif isinstance(exc, StaleVersion) and exc.current:
        extra["current"] = exc.current
    elif isinstance(exc, TokenInvalid):
        # The token is a value in the body: a bad one is an invalid value, with the reason it cannot be used.
        status, errors, extra["reason"] = 422, {"token": [exc.message]}, exc.reason
    return problem(status, exc.title, exc.message, type_slug=exc.type_slug, errors=errors, **extra)


def register(bp: Blueprint) -> None:
    @bp.errorhandler(DomainError)
    def _domain(exc: DomainError):
        return domain_problem(exc)

    @bp.errorhandler(ApiProblem)
    def _api(exc: ApiProblem):
        response = problem(exc.status, exc.title, exc.detail, type_slug=exc.type_slug, errors=exc.errors)
        response.headers.update(exc.headers)
        return response
