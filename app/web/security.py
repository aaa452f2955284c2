"""Per-request safety: security headers, session timeouts, and read-only transactions for safe methods."""

from __future__ import annotations

import time
from urllib.parse import unquote_to_bytes, urlsplit

from flask import Flask, current_app, request, session
from flask import Request as FlaskRequest
from flask_login import current_user, logout_user
from werkzeug.exceptions import UnprocessableEntity
from werkzeug.middleware.proxy_fix import ProxyFix

from app.database import write_intent

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: The longest return address a redirect follows; longer ones go to the default page.
MAX_TARGET = 2000
#: how often the session records activity (its ``seen_at``), in seconds: the idle timeout is kept to the minute
SEEN_STEP = 60

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


class InvalidText(UnprocessableEntity):
    """A form field whose text is not valid UTF-8 (so not Unicode text): refused before any view reads it."""

    def __init__(self, field: str):
        super().__init__(f"The text in the field ‘{field}’ could not be read.")
        self.field = field


def undecodable_field(body: bytes) -> str | None:
    """The name of the first field of a url-encoded body whose value is not valid UTF-8, else None.

    Werkzeug would keep such bytes as literal ``%ED%A0%80`` text (or drop the whole form when they come
    unescaped), so text the person never typed could be saved. Python's UTF-8 decoder also refuses encoded
    surrogates, the bytes of a lone ``\\ud800``.
    """
    for pair in body.split(b"&"):
        raw_name, _, raw_value = pair.partition(b"=")
        try:
            name = unquote_to_bytes(raw_name.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return "(a field name)"
        try:
            unquote_to_bytes(raw_value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return name[:100]
    return None


class Request(FlaskRequest):
    """Form posts that are not file uploads get a smaller body limit (``FORM_MAX_BODY_BYTES``), and their
    text must be valid UTF-8 (``InvalidText``, a 422 naming the field, otherwise).

    Werkzeug reads a url-encoded body whole, and its per-field ``MAX_FORM_MEMORY_SIZE`` applies to
    multipart bodies only, so without this a 12 MB pledge form would be read into memory. Set on the
    request class, not in a hook, because CSRF protection reads the form in the first hook of all.
    """

    def _load_form_data(self) -> None:
        if "form" not in self.__dict__ and self.mimetype == "application/x-www-form-urlencoded":
            field = undecodable_field(self.get_data(cache=True, parse_form_data=False))
            if field is not None:
                raise InvalidText(field)
        super()._load_form_data()

    @property
    def max_content_length(self) -> int | None:
        limit = super().max_content_length
        if self._max_content_length is not None or not current_app or self.mimetype == "multipart/form-data":
            return limit
        form_limit = current_app.config.get("FORM_MAX_BODY_BYTES")
        if form_limit and self.mimetype == "application/x-www-form-urlencoded":
            return min(form_limit, limit) if limit else form_limit
        return limit

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def local_target(target: object) -> str | None:
    """``target`` if it is a path on this site (``/bids/3?x=1``), else None. Every redirect to an address
    the request supplied (``?next=``) goes through this.

    Browsers strip tabs and line breaks from a URL and read ``\\`` as ``/``, so ``/\\evil.example`` and
    ``/<tab>/evil.example`` mean ``//evil.example``: another host. Only printable ASCII without a backslash
    is accepted, starting with one ``/`` and not two; nothing with a scheme or a host.
    """
    if not isinstance(target, str) or not 1 <= len(target) <= MAX_TARGET:
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(not 0x21 <= ord(char) <= 0x7E for char in target):
        return None  # spaces, control characters (tab, CR, LF), and anything outside ASCII
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def trust_proxies(app: Flask) -> None:
    """Take the client's address and scheme from ``X-Forwarded-For`` / ``-Proto`` when the configuration says
    how many proxies in front of the app set them (``PROXY_FIX_X_FOR``, ``PROXY_FIX_X_PROTO``; 0 = none).

    Behind a proxy every request otherwise comes from the proxy's address, so one person's failed logins
    would lock out everyone; trusting the header without a proxy would let anyone choose their address.
    """
    x_for, x_proto = app.config.get("PROXY_FIX_X_FOR", 0), app.config.get("PROXY_FIX_X_PROTO", 0)
    if x_for or x_proto:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=x_for, x_proto=x_proto, x_host=0, x_port=0, x_prefix=0)


def register(app: Flask) -> None:
    app.request_class = Request
    trust_proxies(app)

    @app.before_request
    def _mark_write_intent() -> None:
        write_intent.set(request.method not in SAFE_METHODS)

    @app.before_request
    def _session_timeouts():
        if request.path.startswith("/api/"):
            return None  # the API ignores cookies: bearer tokens only
        if not current_user.is_authenticated:
            return None
        now = int(time.time())
        started = session.get("login_at", now)
        seen = session.get("seen_at", now)
        idle_limit = current_app.config["SESSION_IDLE_SECONDS"]
        absolute_limit = current_app.config["PERMANENT_SESSION_LIFETIME"]
        absolute_limit = absolute_limit.total_seconds() if hasattr(absolute_limit, "total_seconds") else absolute_limit
        if now - seen > idle_limit or now - started > absolute_limit:
            logout_user()
            session.clear()
            session["timed_out"] = True
            return None
        if now - seen >= SEEN_STEP:
            # Activity is recorded to the minute: the cookie is signed and sent again only when it changes,
            # not on every request (SESSION_REFRESH_EACH_REQUEST is off).
            session["seen_at"] = now
        return None

    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("Cache-Control", "no-store")
        if current_app.config.get("HSTS"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        return response
