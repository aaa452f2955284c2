"""Each API operation described beside its view: ``@describe`` under the route decorator.

The OpenAPI document (app/api/openapi.py) is built from the URL map and these declarations, the body
parser (app/api/validation.py) reads the body model declared here, and authentication (app/api/auth.py)
reads which operations are public and which take ``?page``: one declaration per operation, nothing listed
a second time.

    @bp.put(f"/bids/<{ID}:bid_id>/pledge")
    @describe(
        "putPledge", "Make or replace the organisation's pledge (members).", tag="pledges",
        body=PledgeBody, replies={200: reply(r.Pledge, "The pledge was replaced.", etag=True)},
        errors=(403, 404, 409), headers=("if_match",),
    )
    def put_pledge(bid_id: int): ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from flask import current_app
from pydantic import BaseModel

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Reply:
    """A success response: its body model (JSON) or its own content map (a stream, a file), and headers."""

    description: str
    model: type[BaseModel] | None = None
    content: dict[str, Any] | None = None
    etag: bool = False
    location: bool = False


def reply(model: type[BaseModel], description: str, *, etag: bool = False, location: bool = False) -> Reply:
    return Reply(description, model=model, etag=etag, location=location)


@dataclass(frozen=True)
class Operation:
    """What the description says of one operation.

    ``errors`` are the problem statuses particular to it; every operation also answers 422 (unknown query
    parameters) and 429, one that needs a token 401, and one with a body 400, 413 and 422.
    """

    operation_id: str
    summary: str
    tag: str
    replies: dict[int, Reply]
    errors: tuple[int, ...] = ()
    #: The request body's model (a ``Body`` TypedDict); ``body_required=False`` when no body is fine too.
    body: type | None = None
    body_required: bool = True
    #: Named parameters from openapi.PARAMETERS sent as headers (``if_match``, ``last_event_id``, …).
    headers: tuple[str, ...] = ()
    #: Takes ``?page`` and ``?per_page``; every other operation refuses any query parameter.
    paged: bool = False
    #: Other query parameters it takes, named in openapi.QUERY (e.g. the directory's filters).
    query: tuple[str, ...] = ()
    #: A body that is not JSON: the media types it takes (read with ``request.get_data``), e.g. a CSV file.
    raw_body: tuple[str, ...] = ()
    #: ``required``: a bearer token; ``optional``: with or without one; ``none``: never looks at a token.
    auth: Literal["required", "optional", "none"] = "required"


def describe(operation_id: str, summary: str, *, tag: str, replies: dict[int, Reply], **options: Any):
    """Attach an operation's description to its view function (the function itself is unchanged)."""
    operation = Operation(operation_id, summary, tag, replies, **options)

    def attach(view: F) -> F:
        view.api_operation = operation  # type: ignore[attr-defined]
        return view

    return attach


def declared(endpoint: str | None) -> Operation | None:
    """The declaration of the view behind ``endpoint`` in the current app; None for an undescribed one."""
    view = current_app.view_functions.get(endpoint) if endpoint else None
    return getattr(view, "api_operation", None)
