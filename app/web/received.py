"""Stamp the moment each request reached the server, before anything else in the app runs.

The stamp is taken by a WSGI middleware wrapped around the whole Flask app, so it comes before the
request's hooks, its session and user loading, and any wait for the database's write lock. Services judge
deadlines by it (``clock.received_at``). The response carries it as ``Received-At`` (ISO 8601 UTC with
microseconds) so a person refused at the deadline, or a test, can see the moment that was judged.
"""

from __future__ import annotations

from app.services import clock

ENVIRON_KEY = "cbm.received_at"
HEADER = "Received-At"


class ReceivedAt:
    """WSGI middleware: ``environ["cbm.received_at"]`` and ``clock.received_at()`` for the request."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        moment = clock.now()
        environ[ENVIRON_KEY] = moment
        stamp = moment.isoformat(timespec="microseconds")

        def start(status, headers, exc_info=None):
            headers = [*headers, (HEADER, stamp)]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        # The view runs inside this call; a streamed body (the live events) is iterated after it, and
        # reads no deadline.
        with clock.receiving(moment):
            return self.wsgi_app(environ, start)
