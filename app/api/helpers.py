"""Small pieces every resource uses: loading a bid for the caller, JSON responses with ETags, If-Match."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from app.api.auth import caller
from app.api.errors import malformed
from app.models import Bid
from app.services import access
from app.services.errors import PermissionDenied
from app.web.versions import ETAG_PATTERN, parse_version

__all__ = ["ETAG_PATTERN", "ID", "convenor_bid", "if_match", "ok", "viewable_bid"]

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


def if_match(*, create_only_allowed: bool = False) -> int | None:
    """The version named by ``If-Match`` (an ETag from an earlier response); None when absent or ``*``.

    Where creation is possible, ``If-None-Match: *`` asks for creation only, which is version 0.
    """
    header = request.headers.get("If-Match")
    none_match = request.headers.get("If-None-Match") if create_only_allowed else None
    if none_match is not None and none_match != "*":
        raise malformed("If-None-Match may only be *, to create and never replace.")
    if header is None or header == "*":
        return 0 if none_match is not None else None
    try:
        version = parse_version(header)
        if version is None:  # an empty header names no version: as malformed as any other text
            raise ValueError(header)
        return version
    except ValueError:
        raise malformed('If-Match must be the ETag of the version you read, e.g. "3".') from None
