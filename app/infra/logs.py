"""Log lines: plain text (the default) or, with ``LOG_FORMAT=json``, one JSON object per line, each with the
request id of the request it was written in (``-`` outside a request), so a user's error report can be found."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

#: the standard LogRecord attributes: anything else passed with ``extra=`` goes into the JSON object too
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


class RequestIdFilter(logging.Filter):
    """Put the current request's id (``-`` outside a request) on every record as ``request_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


def current_request_id() -> str:
    from flask import g, has_app_context, has_request_context

    if has_request_context() and has_app_context():
        return g.get("request_id") or "-"
    return "-"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id, and the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool | type(None)) else repr(value)
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(levelname)s:%(name)s:%(request_id)s:%(message)s"


def configure(level: str, fmt: str) -> None:
    """Install the root handler once: JSON when ``fmt`` is ``json``, otherwise the plain text format."""
    root = logging.getLogger()
    root.setLevel(level)
    handler = next((h for h in root.handlers if getattr(h, "_bids_handler", False)), None)
    if handler is None:
        if root.handlers and fmt != "json":
            return  # someone (a test runner, gunicorn's --log-config) already set logging up: leave it
        handler = logging.StreamHandler()
        handler._bids_handler = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    handler.filters = [RequestIdFilter()]
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
