"""Paths to pages that work inside or outside a request (emails are built by the CLI and scheduler too)."""

from __future__ import annotations

from flask import current_app


def path_for(endpoint: str, **values) -> str:
    """The site-relative path of an endpoint; prefix with ``BASE_URL`` for an absolute link."""
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    return adapter.build(endpoint, values)


def absolute(endpoint: str, **values) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + path_for(endpoint, **values)
