"""Private file downloads: always an attachment, with the exact type, never sniffed, never cached."""

from __future__ import annotations

import io

from flask import Response, send_file

TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "zip": "application/zip",
}


def send_private(content: bytes, name: str, kind: str = "pdf") -> Response:
    """Send bytes as a download named ``name`` (ASCII-safe), for the person asking only."""
    response = send_file(io.BytesIO(content), mimetype=TYPES[kind], as_attachment=True, download_name=name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
