"""Small pieces every resource uses: loading a bid for the caller, JSON responses with ETags, If-Match."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from app.api.auth import caller
from app.api.errors import malformed
from app.models import Bid
from app.services import access, pledges
from app.services.errors import PermissionDenied, ValidationFailed

#: Path ids: larger numbers cannot exist, and would overflow the database's integers.
ID = "int(max=2147483647)"


def viewable_bid(bid_id: int) -> Bid:
    """The bid if the caller may see it; NotFound (404) otherwise, whether or not it exists."""
    return access.get_bid_for_viewer(caller(), bid_id)


def convenor_bid(bid_id: int) -> Bid:
    """The bid for its convenors; 403 for members who can see it, 404 for everyone else."""
    bid = viewable_bid(bid_id)
    if not access.is_bid_convenor(caller(), bid):
        raise PermissionDenied("Only the bid's convenors can do that.")
    return bid


def ok(data: Any, status: int = 200, *, etag: int | None = None, location: str | None = None):
    response = jsonify(data)
    response.status_code = status
    if etag is not None:
        response.headers["ETag"] = f'"{etag}"'
    if location:
        response.headers["Location"] = location
    response.headers["Cache-Control"] = "no-store"
    return response


def if_match() -> int | None:
    """The version named by ``If-Match`` (an ETag from an earlier response); None when absent or ``*``.

    ``If-None-Match: *`` asks for creation only, which is version 0.
    """
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        if request.headers.get("If-None-Match", "").strip() == "*":
            return 0
        return None
    try:
        return pledges.expected_version_from(header)
    except ValidationFailed:
        raise malformed('If-Match must be the ETag of the version you read, e.g. "3".') from None
