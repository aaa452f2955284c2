"""Signed, purpose-salted tokens whose SHA-256 is stored so they can be revoked and used once."""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _serializer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"consortium-bids.{purpose}")


def make(purpose: str, object_id: int) -> tuple[str, str]:
    """A new token for ``object_id`` and its digest to store. Each call gives a different token."""
    token = _serializer(purpose).dumps({"i": object_id, "n": secrets.token_urlsafe(16)})
    return token, digest(token)


def make_many(purpose: str, object_ids: list[int]) -> list[tuple[str, str]]:
    """``make`` for many objects at once (a batch of reminder links), with one serializer."""
    serializer = _serializer(purpose)
    tokens = [serializer.dumps({"i": object_id, "n": secrets.token_urlsafe(16)}) for object_id in object_ids]
    return [(token, digest(token)) for token in tokens]


def read(purpose: str, token: str) -> int | None:
    """The object id inside a genuine token, or None when it was tampered with or made for another purpose."""
    if not token or len(token) > 500:
        return None
    try:
        data = _serializer(purpose).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("i"), int):
        return None
    return data["i"]


def random_token(prefix: str = "") -> tuple[str, str]:
    """A random bearer token (API) and its digest."""
    token = prefix + secrets.token_urlsafe(32)
    return token, digest(token)
