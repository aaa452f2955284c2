"""The rate limiter runs only where a limit is declared.

Flask-Limiter's hooks run on every request; with no default or application limits (``default_limits=[]``),
a route without a limit of its own (``@limiter.limit``) or of its blueprint (the API's ``shared_limit``) has
nothing to count, yet still paid for resolving that on every request. A request filter (Flask-Limiter's
documented ``Limiter.request_filter``: a true answer exempts the request from every limit) answers "nothing to
count here" for such routes, decided once per endpoint from the limits the limiter holds.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_limiter.util import get_qualified_name

from app.extensions import limiter

_KEY = "unlimited_endpoints"


def _declares_limits(app: Flask, endpoint: str) -> bool:
    manager = limiter.limit_manager
    if manager.application_limits or manager.default_limits:
        return True  # limits for every route: nothing may skip the limiter
    view = app.view_functions.get(endpoint)
    name = get_qualified_name(view) if view else ""
    if manager.has_hints(endpoint) or name in manager._decorated_limits:
        return True
    blueprint = endpoint.rpartition(".")[0]
    while blueprint:  # a nested blueprint inherits its parents' limits
        if blueprint in manager._blueprint_limits:
            return True
        blueprint = blueprint.rpartition(".")[0]
    return False


@limiter.request_filter  # the limiter is one object for every app made: registered once, at import
def _nothing_to_count() -> bool:
    endpoint = request.endpoint
    if not endpoint:
        return False
    known = current_app.extensions.setdefault(_KEY, {})  # per app: its routes and configuration
    if endpoint not in known:
        known[endpoint] = not _declares_limits(current_app._get_current_object(), endpoint)
    return known[endpoint]
