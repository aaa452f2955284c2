"""Error pages for people and problem+json for the API."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.text import NOT_UNICODE
from app.web.committed import committed_write
from app.web.security import InvalidText

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Something was wrong with that request", "Go back and try again. If it keeps happening, reload the page."),
    403: ("You do not have access to this page", "If you think you should, ask the convenor of the bid."),
    404: (
        "Page not found",
        "Check the address, or go back to your bids. If you followed a link from an email, it may be out of date.",
    ),
    405: ("That action is not available here", "Go back and use the buttons on the page."),
    413: ("That file or form is too large", "Upload a smaller file, or shorten the text, and try again."),
    429: ("Too many attempts", "Wait a minute, then try again."),
    500: (
        "Sorry, something went wrong on our side",
        "Your last change was not saved. Try again in a few minutes; the team has been told.",
    ),
    503: ("The service is briefly unavailable", "Nothing you saved has been lost. Try again in a minute."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def render_error(status: int, detail: str | None = None):
    title, advice = MESSAGES.get(status, MESSAGES[500])
    if wants_json():
        from app.api.problems import problem

        return problem(status, API_TITLES.get(status, title), detail or advice)
    return render_template("errors/error.html", status=status, title=title, advice=advice, detail=detail), status


SAVED_BUT_FAILED = (
    "Your change was saved, but this page could not be shown",
    "Nothing was lost. Reload the page or go back to see the change; the team has been told.",
)


def render_saved_but_failed():
    """A 500 for an error after the request committed its change: it says the change was saved."""
    title, advice = SAVED_BUT_FAILED
    if wants_json():
        from app.api.problems import problem

        return problem(500, "Server error", "The change was saved, but the response failed. Read it again to see it.")
    return render_template("errors/error.html", status=500, title=title, advice=advice, detail=None), 500


#: Problem titles for API clients (the page titles above speak to people looking at a page).
API_TITLES = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    413: "Body too large",
    429: "Too many requests",
    500: "Server error",
    503: "Service unavailable",
}
API_DETAILS = {
    404: "There is nothing at this address in the API. See /api/v1/openapi.json.",
    405: "This address does not take that method.",
    429: "Too many requests for this token. Wait for the number of seconds in Retry-After.",
}


def _api_detail(error: HTTPException) -> str | None:
    """What an API client is told; never a stack trace or an internal message."""
    if error.code == 413:
        limit = request.max_content_length
        return f"The body is larger than the {limit:,} bytes accepted." if limit else "The body is too large."
    return API_DETAILS.get(error.code)


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template(
            "errors/error.html",
            status=400,
            title="This form has expired",
            advice="For your security, forms expire when you log in or out or after a while. Go back, reload "
            "the page and submit it again.",
            detail=None,
        ), 400

    @app.errorhandler(InvalidText)
    def invalid_text(error: InvalidText):
        if wants_json():
            from app.api.problems import problem

            return problem(
                422,
                "Some values are not valid",
                "Check the values in `errors`.",
                type_slug="validation-error",
                errors={error.field: [NOT_UNICODE]},
            )
        return render_template(
            "errors/error.html",
            status=422,
            title="Some of that text could not be read",
            advice="Nothing was saved. Go back, type the text again (or paste it as plain text) and submit it.",
            detail=f"The text in the field ‘{error.field}’ is not valid Unicode text (UTF-8).",
        ), 422

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        response = render_error(error.code, _api_detail(error) if wants_json() else None)
        if wants_json() and error.code == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(OperationalError)
    def database_unavailable(error):
        log.warning("database unavailable: %s", error)
        db.session.rollback()
        return render_error(503)

    @app.errorhandler(Exception)
    def unexpected(error):
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if committed_write():  # the change is in the database: never tell the person it was not saved
            return render_saved_but_failed()
        return render_error(500)
