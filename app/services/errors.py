"""Domain errors. Views and the API translate these to messages and status codes."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule the services enforce."""

    status = 400
    type_slug = "domain-error"
    title = "The request could not be carried out"

    def __init__(self, message: str = "", **extra):
        super().__init__(message or self.title)
        self.message = message or self.title
        self.extra = extra


class NotFound(DomainError):
    """The object does not exist, or the caller may not know that it does."""

    status = 404
    type_slug = "not-found"
    title = "Not found"


class PermissionDenied(DomainError):
    """The caller is known but may not do this."""

    status = 403
    type_slug = "forbidden"
    title = "Not allowed"


class ValidationFailed(DomainError):
    """One or more values are invalid. ``errors`` maps field name → messages."""

    status = 422
    type_slug = "validation-error"
    title = "Some values are not valid"

    def __init__(self, errors: dict[str, list[str]], message: str = ""):
        super().__init__(message or "Check the highlighted values.")
        self.errors = errors


class Conflict(DomainError):
    """The object changed since the caller read it, or already exists."""

    status = 409
    type_slug = "conflict"
    title = "Conflict"


class StaleVersion(Conflict):
    """An edit based on an old version. ``current`` carries the values as they now stand."""

    type_slug = "stale-version"
    title = "Changed by someone else"

    def __init__(self, message: str, current: dict | None = None):
        super().__init__(message)
        self.current = current or {}


class BidNotOpen(Conflict):
    """The bid does not take pledges now: not open, or its deadline has passed."""

    type_slug = "bid-closed"
    title = "The bid is not taking pledges"


class InvalidTransition(Conflict):
    """The bid cannot move from its current status to the one asked for."""

    type_slug = "invalid-transition"
    title = "Not possible in the bid's current state"


class TokenInvalid(DomainError):
    """A link or token that is tampered, expired, used or revoked. ``reason`` says which."""

    status = 400
    type_slug = "token-invalid"
    title = "This link cannot be used"

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def require(errors: dict[str, list[str]]) -> None:
    """Raise ValidationFailed when any field collected a message."""
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        raise ValidationFailed(errors)
