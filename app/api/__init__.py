"""The JSON API, version 1: bearer tokens, JSON bodies checked strictly, problem+json errors."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Attach the API under /api/v1, exempt from CSRF: it ignores cookies and takes only bearer tokens."""
    from app.api import bids, invitations, live_packs, openapi, pledges  # noqa: F401  (their routes attach to bp)
    from app.api.blueprint import bp
    from app.extensions import csrf

    csrf.exempt(bp)
    app.register_blueprint(bp)
