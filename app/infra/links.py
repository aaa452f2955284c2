"""Paths to pages for emails, built with or without a request (the scheduler has none)."""

from __future__ import annotations

from flask import current_app, has_request_context, url_for


def path_for(endpoint: str, **values) -> str:
    """The path of ``endpoint`` (e.g. ``/bids/3``); emails put ``BASE_URL`` in front of it."""
    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    return adapter.build(endpoint, values)
