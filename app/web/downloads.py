"""Private files: downloads always as an attachment, and a convening body's logo inline; the exact type, never
sniffed, never cached."""

from __future__ import annotations

import io

from flask import Response, abort, send_file

from app.infra import storage
from app.services import body

TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "zip": "application/zip",
    "json": "application/json",
}
#: The image types a logo is checked to be on upload.
LOGO_TYPES = {"png": "image/png", "jpeg": "image/jpeg"}


def send_private(content: bytes, name: str, kind: str = "pdf") -> Response:
    """Send bytes as a download named ``name`` (ASCII-safe), for the person asking only."""
    response = send_file(io.BytesIO(content), mimetype=TYPES[kind], as_attachment=True, download_name=name)
    return _private(response)


def send_stored(opened: storage.Opened, name: str, kind: str = "pdf") -> Response:
    """Stream a stored file (checked against its digest) as a download, one chunk at a time: never held whole."""
    response = Response(opened.chunks(), mimetype=TYPES[kind], direct_passthrough=True)
    response.content_length = opened.size
    response.headers.set("Content-Disposition", "attachment", filename=name)
    return _private(response)


def _private(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def send_logo(identity):
    """The stored logo inline, as the image type it was checked to be; 404 when there is none."""
    content = body.read_logo(identity)
    if content is None:
        abort(404)
    response = send_file(io.BytesIO(content), mimetype=LOGO_TYPES[identity.logo_type])
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
