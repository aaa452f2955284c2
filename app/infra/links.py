"""Paths to pages for emails, built with or without a request (the scheduler has none)."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, has_request_context, url_for


def path_for(endpoint: str, **values) -> str:
    """The path of ``endpoint`` (e.g. ``/bids/3``); emails put ``BASE_URL`` in front of it."""
    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    return adapter.build(endpoint, values)


def path_builder(endpoint: str) -> Callable[..., str]:
    """``path_for(endpoint, ...)`` for many paths of one endpoint (a batch of emails): the URL map is bound once."""
    if has_request_context():
        return lambda **values: url_for(endpoint, **values)
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    return lambda **values: adapter.build(endpoint, values)
