"""What private, expiring links have in common (funder links, summary report links): a signed token naming a
row that keeps only the token's SHA-256, with an expiry and a revocation. The areas own their rows and wording."""

from __future__ import annotations

import secrets
from typing import Protocol, TypeVar

from app.extensions import db
from app.infra import clock, tokens
from app.services.errors import TokenInvalid

TAMPERED = "This link is not valid. Check that you copied the whole address from the email."
REVOKED = "This link has been withdrawn by the convenor. Ask them for a new one."


class PrivateLink(Protocol):
    token_hash: str
    revoked_at: object
    expires_at: object


L = TypeVar("L", bound=PrivateLink)


def state(link: PrivateLink) -> str:
    """``revoked``, ``expired`` or ``active``, as the convenor's list of links shows it."""
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at <= clock.now():
        return "expired"
    return "active"


def signed_link(model: type[L], purpose: str, token: str, *, expired: str) -> L:
    """The row a token opens, if it is genuine, unrevoked and unexpired; TokenInvalid with ``expired`` as the
    expiry's message otherwise."""
    link_id = tokens.read(purpose, token)
    link = db.session.get(model, link_id) if link_id is not None else None
    if link is None or not secrets.compare_digest(link.token_hash, tokens.digest(token)):
        raise TokenInvalid("tampered", TAMPERED)
    if link.revoked_at is not None:
        raise TokenInvalid("revoked", REVOKED)
    if link.expires_at <= clock.now():
        raise TokenInvalid("expired", expired)
    return link
