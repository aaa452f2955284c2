"""Redis connection pools sized to the worker's threads.

redis-py's default pool allows 100 connections and raises ``MaxConnectionsError`` past that at once; a
gthread worker has ``WEB_THREADS`` (256) threads that may each need one. These pools hold
``REDIS_MAX_CONNECTIONS`` (by default one per thread and a few more) and make a thread that finds none free
wait up to ``REDIS_POOL_TIMEOUT`` seconds before the call fails; the callers fail open (the rate limiter
lets the request through, the live broker leaves the streams to poll).
"""

from __future__ import annotations

from flask import Flask

#: schemes the rate limiter hands to the redis client
REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://")


def make_pool(app: Flask, url: str):
    """A blocking connection pool for ``url`` with the configured size and wait."""
    import redis

    return redis.BlockingConnectionPool.from_url(
        url.replace("redis+unix://", "unix://", 1),
        max_connections=int(app.config["REDIS_MAX_CONNECTIONS"]),
        timeout=float(app.config["REDIS_POOL_TIMEOUT"]),
        socket_connect_timeout=0.5,
        socket_timeout=0.5,
    )


def configure_limiter_storage(app: Flask) -> None:
    """Give the rate limiter's Redis storage a sized pool (before ``limiter.init_app``)."""
    uri = app.config.get("RATELIMIT_STORAGE_URI") or ""
    if uri.startswith(REDIS_SCHEMES):
        options = dict(app.config.get("RATELIMIT_STORAGE_OPTIONS") or {})
        options["connection_pool"] = make_pool(app, uri)
        app.config["RATELIMIT_STORAGE_OPTIONS"] = options
