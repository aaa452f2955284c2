"""The JSON API, version 1: bearer tokens, JSON bodies checked strictly, problem+json errors."""

from __future__ import annotations

from flask import Flask

from app.api import (
    accounts,
    bids,
    delivery,
    directory,
    grants,
    invitations,
    live_packs,
    openapi,
    pledges,
    programmes,
    reminders,
)
from app.api.blueprint import bp
from app.extensions import csrf

#: The resource modules: importing them attaches their routes to ``bp``.
RESOURCES = (
    accounts,
    bids,
    delivery,
    directory,
    grants,
    invitations,
    live_packs,
    openapi,
    pledges,
    programmes,
    reminders,
)


def register(app: Flask) -> None:
    """Attach the API under /api/v1, exempt from CSRF: it ignores cookies and takes only bearer tokens."""
    csrf.exempt(bp)
    app.register_blueprint(bp)
