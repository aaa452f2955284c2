"""What an operator points a load balancer and a monitoring system at: ``/healthz``, ``/readyz``, ``/metrics``;
and the request id every response, problem+json body and log line carries.

- ``/healthz``: the process answers (no database, no Redis).
- ``/readyz``: the database answers, its migrations are at the head, and Redis answers when configured;
  otherwise 503 with the failing part named. Nothing secret: no addresses, versions or error texts.
- ``/metrics``: Prometheus text, only when ``METRICS_ENABLED``; with ``METRICS_TOKEN`` set it asks for
  ``Authorization: Bearer <token>``; without one it answers only clients on the loopback or a private
  address (bind it to an internal address).

None of them is rate limited, opens a session or counts in the request metrics.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import re
import time
import uuid

import sqlalchemy as sa
from flask import Flask, Response, abort, g, jsonify, request

from app import database
from app.extensions import csrf, db, limiter
from app.infra import metrics

log = logging.getLogger(__name__)
#: endpoints kept out of the request metrics and quiet in the logs
QUIET = frozenset({"healthz", "readyz", "metrics"})
#: addresses answered /metrics when no METRICS_TOKEN is set: loopback and these (RFC 1918, RFC 4193)
INTERNAL = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
#: an incoming X-Request-ID is kept when it is 8 to 128 of these characters; otherwise a new one is made
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")


def request_id() -> str | None:
    return g.get("request_id")


def healthz():
    return jsonify(status="ok")


def readyz():
    app = _app()
    checks = {"database": _check(_database), "migrations": _check(lambda: _migrations(app))}
    if checks["database"] != "ok":
        checks["migrations"] = "unknown"
    if app.config.get("REDIS_URL"):
        checks["redis"] = _check(lambda: _redis(app))
    failing = [name for name, state in checks.items() if state not in ("ok",)]
    body = {"status": "ok" if not failing else "unavailable", "checks": checks}
    if failing:
        body["failing"] = failing
    response = jsonify(body)
    response.status_code = 200 if not failing else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def _check(probe) -> str:
    try:
        return probe()
    except Exception as exc:  # the kind of failure goes to the log, never to the answer
        log.warning("readiness check failed: %s", type(exc).__name__)
        return "failing"


def _database() -> str:
    with database.reading(), db.engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    return "ok"


def _migrations(app: Flask) -> str:
    heads = app.extensions.get("migration_heads")
    if heads is None:
        from alembic.script import ScriptDirectory

        config = app.extensions["migrate"].migrate.get_config()
        heads = app.extensions["migration_heads"] = frozenset(ScriptDirectory.from_config(config).get_heads())
    with database.reading(), db.engine.connect() as conn:
        current = set(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
    return "ok" if current == heads else "behind"


def _redis(app: Flask) -> str:
    client = app.extensions.get("readiness_redis")
    if client is None:
        import redis

        url = app.config["REDIS_URL"]
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        app.extensions["readiness_redis"] = client
    client.ping()
    return "ok"


def metrics_view():
    app = _app()
    if not app.config.get("METRICS_ENABLED"):
        abort(404)
    token = app.config.get("METRICS_TOKEN") or ""
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            response = jsonify(status=401, title="A metrics token is needed.")
            response.status_code = 401
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    elif not _internal(request.remote_addr):
        abort(404)
    body, content_type = metrics.exposition(_outbox)
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})


def _internal(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return ip.is_loopback or any(ip in network for network in INTERNAL if network.version == ip.version)


def _outbox() -> tuple[int, float | None]:
    from app.infra import clock
    from app.models import EmailMessage, EmailStatus

    with database.reading(), db.engine.connect() as conn:
        count, oldest = conn.execute(
            sa.select(sa.func.count(), sa.func.min(EmailMessage.created_at)).where(
                EmailMessage.status == EmailStatus.PENDING
            )
        ).one()
    if oldest is None:
        return count, None
    if oldest.tzinfo is None:  # SQLite hands back a naive UTC value through Core
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    return count, max(0.0, (clock.now() - oldest).total_seconds())


def _app() -> Flask:
    from flask import current_app

    return current_app._get_current_object()


def _start() -> None:
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id") or ""
    endpoint = request.endpoint or "unmatched"
    if endpoint not in QUIET and g.get("request_started") is not None and _app().config.get("METRICS_ENABLED"):
        metrics.request_done(endpoint, request.method, response.status_code, time.perf_counter() - g.request_started)
    return response


def register(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    for rule, endpoint, view in (
        ("/healthz", "healthz", healthz),
        ("/readyz", "readyz", readyz),
        ("/metrics", "metrics", metrics_view),
    ):
        app.add_url_rule(rule, endpoint, limiter.exempt(view), methods=["GET"])
        csrf.exempt(view)
