"""The OpenAPI 3.1 description of the API, built from the same field declarations the views check bodies with."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import jsonify

from app.api.bids import BID_FIELDS, CREATE_FIELDS, CREATE_REQUIRED, EXTEND_FIELDS
from app.api.blueprint import bp
from app.api.helpers import ETAG_PATTERN
from app.api.invitations import ACCEPT_FIELDS, INVITE_FIELDS
from app.api.openapi_schemas import SCHEMAS, ref
from app.api.pledges import PLEDGE_FIELDS, PLEDGE_REQUIRED
from app.api.validation import MAX_PER_PAGE, object_schema
from app.web.downloads import TYPES as DOWNLOAD_TYPES

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
ERRORS = {
    400: "The request is malformed: the body is not a JSON object, or a header is garbled.",
    401: "No token, or a token that is unknown, revoked or belongs to a disabled user.",
    403: "The caller may see the bid but may not do this.",
    404: "No such thing, or the caller may not know it exists (another organisation's pledge is 404).",
    409: "A conflict: a stale version (type stale-version), a bid not taking pledges (type bid-closed), "
    "or a change the bid's status does not allow (type invalid-transition).",
    413: "The body is larger than the API accepts.",
    422: "Invalid values: `errors` maps each field (or query parameter) to its messages. Unknown fields, unknown "
    "query parameters and wrong types are refused.",
    429: "Too many requests for this token; wait for Retry-After seconds.",
}
ETAG = {"ETag": {"description": "The version, for If-Match.", "schema": {"type": "string"}, "required": True}}


def _problem(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": ERRORS[status],
        "content": {PROBLEM_JSON: {"schema": ref("Problem")}},
    }
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}, "required": True}}
    if status == 429:
        response["headers"] = {"Retry-After": {"schema": {"type": "string"}, "required": True}}
    return response


def _ok(schema: str, description: str, *, etag: bool = False) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {JSON: {"schema": ref(schema)}}}
    if etag:
        response["headers"] = ETAG
    return response


def _op(
    op_id: str,
    summary: str,
    tag: str,
    ok: dict[int, dict],
    errors: tuple[int, ...],
    *,
    params: tuple[str, ...] = (),
    body: dict | None = None,
    body_required: bool = True,
    security: list | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": op_id, "summary": summary, "tags": [tag]}
    if params:
        operation["parameters"] = [{"$ref": f"#/components/parameters/{p}"} for p in params]
    if body is not None:
        operation["requestBody"] = {"required": body_required, "content": {JSON: {"schema": body}}}
        errors = (*errors, 400, 413, 422)
    responses = {str(code): r for code, r in ok.items()}
    # Every operation refuses unknown query parameters (422) and is rate-limited (429).
    for code in sorted({*errors, 401, 422, 429} if security is None or security else {*errors, 422, 429}):
        responses[str(code)] = _problem(code)
    operation["responses"] = responses
    if security is not None:
        operation["security"] = security
    return operation


PAGED = ("page", "per_page")
BID = ("bid_id",)


def _paths() -> dict[str, Any]:
    bid_create = object_schema(CREATE_FIELDS, CREATE_REQUIRED)
    bid_edit = object_schema(BID_FIELDS)
    extend = object_schema(EXTEND_FIELDS, ("deadline",))
    pledge = object_schema(PLEDGE_FIELDS, PLEDGE_REQUIRED)
    invite = object_schema(INVITE_FIELDS, ("invitations",))
    accept = object_schema(ACCEPT_FIELDS, ("token",))
    empty = {"type": "object", "additionalProperties": False, "maxProperties": 0}
    bid_ok = {200: _ok("Bid", "The bid with its totals.", etag=True)}

    def lifecycle(verb: str, summary: str) -> dict[str, Any]:
        return {
            "post": _op(
                f"{verb}Bid", summary, "bids", bid_ok, (403, 404, 409, 422), params=BID, body=empty, body_required=False
            )
        }

    return {
        "/bids": {
            "get": _op(
                "listBids",
                "The bids the caller can see.",
                "bids",
                {200: _ok("BidPage", "A page of bids.")},
                (422,),
                params=PAGED,
            ),
            "post": _op(
                "createBid",
                "Create a bid as a draft, or open it at once (convenors).",
                "bids",
                {
                    201: _ok("Bid", "The new bid.", etag=True)
                    | {"headers": {**ETAG, "Location": {"schema": {"type": "string"}, "required": True}}}
                },
                (403, 409),
                body=bid_create,
            ),
        },
        "/bids/{bid_id}": {
            "get": _op("getBid", "A bid with its totals.", "bids", bid_ok, (404,), params=BID),
            "patch": _op(
                "updateBid",
                "Edit the fields the bid's status allows (convenors). If-Match makes a stale edit a 409.",
                "bids",
                bid_ok,
                (403, 404, 409),
                params=("bid_id", "if_match"),
                body=bid_edit,
            ),
        },
        "/bids/{bid_id}/open": lifecycle("open", "Open a draft bid (convenors)."),
        "/bids/{bid_id}/close": lifecycle("close", "Close an open bid early (convenors)."),
        "/bids/{bid_id}/cancel": lifecycle("cancel", "Cancel a draft or open bid (convenors)."),
        "/bids/{bid_id}/extend": {
            "post": _op(
                "extendBid",
                "Move an open bid's deadline later, or reopen a closed bid with a new deadline (convenors).",
                "bids",
                bid_ok,
                (403, 404, 409),
                params=BID,
                body=extend,
            )
        },
        "/bids/{bid_id}/totals": {
            "get": _op(
                "getTotals", "The bid's figures now.", "bids", {200: _ok("Totals", "The totals.")}, (404,), params=BID
            )
        },
        "/bids/{bid_id}/invitations": {
            "post": _op(
                "inviteOrganisations",
                "Invite organisations; each row is invited or refused with a reason (convenors).",
                "invitations",
                {200: _ok("InviteReport", "A result per row.")},
                (403, 404, 409),
                params=BID,
                body=invite,
            ),
            "get": _op(
                "listInvitations",
                "The bid's invitations and their states (convenors).",
                "invitations",
                {200: _ok("InvitationPage", "A page of invitations.")},
                (403, 404, 422),
                params=(*BID, *PAGED),
            ),
        },
        "/invitations/accept": {
            "post": _op(
                "acceptInvitation",
                "Accept an invitation: as a new account (name, password, organisation) or, with a token, as its user.",
                "invitations",
                {
                    200: _ok("Accepted", "Accepted by the token's user."),
                    201: _ok("Accepted", "A new account was made; `api_token` is its first API token, shown once."),
                    202: _ok(
                        "Accepted",
                        "The organisation already has people: a request to join went to its managers; "
                        "no account exists until one approves.",
                    ),
                },
                (403, 409),
                body=accept,
                security=[{}, {"bearerAuth": []}],
            )
        },
        "/join-requests": {
            "get": _op(
                "listJoinRequests",
                "Requests to join the caller's organisation, waiting ones first (its managers).",
                "invitations",
                {200: _ok("JoinRequestList", "The requests.")},
                (403,),
            )
        },
        **{
            f"/join-requests/{{request_id}}/{verb}": {
                "post": _op(
                    f"{verb}JoinRequest",
                    summary,
                    "invitations",
                    {200: _ok("JoinRequest", "The request, decided.")},
                    (404, 409),
                    params=("request_id",),
                )
            }
            for verb, summary in (
                ("approve", "Approve: the person's account is made in the organisation (its managers)."),
                ("refuse", "Refuse: no account is made and the invitation is closed (its managers)."),
            )
        },
        "/bids/{bid_id}/pledge": {
            "get": _op(
                "getPledge",
                "The caller's organisation's pledge (members).",
                "pledges",
                {200: _ok("Pledge", "The pledge.", etag=True)},
                (403, 404),
                params=BID,
            ),
            "put": _op(
                "putPledge",
                "Make or replace the organisation's pledge (members). If-Match makes a stale write a 409; "
                "If-None-Match: * only creates.",
                "pledges",
                {
                    200: _ok("Pledge", "The pledge was replaced.", etag=True),
                    201: _ok("Pledge", "The pledge was made.", etag=True),
                },
                (403, 404, 409),
                params=("bid_id", "if_match", "if_none_match"),
                body=pledge,
            ),
            "delete": _op(
                "withdrawPledge",
                "Withdraw the organisation's pledge (members).",
                "pledges",
                {200: _ok("Pledge", "The withdrawn pledge.", etag=True)},
                (403, 404, 409),
                params=("bid_id", "if_match"),
                body=empty,
                body_required=False,
            ),
        },
        "/bids/{bid_id}/pledges": {
            "get": _op(
                "listPledges",
                "Every live pledge (convenors; members too when the bid shows amounts).",
                "pledges",
                {200: _ok("MemberPledgePage", "A page of pledges, largest first.")},
                (403, 404, 422),
                params=(*BID, *PAGED),
            )
        },
        "/bids/{bid_id}/pledges/{pledge_id}/revisions": {
            "get": _op(
                "listRevisions",
                "A pledge's history, newest first (its organisation and the convenors).",
                "pledges",
                {200: _ok("RevisionPage", "A page of revisions.")},
                (404, 422),
                params=("bid_id", "pledge_id", *PAGED),
            )
        },
        "/bids/{bid_id}/audit": {
            "get": _op(
                "listAudit",
                "The bid's audit log, newest first (convenors).",
                "bids",
                {200: _ok("AuditPage", "A page of audit events.")},
                (403, 404, 422),
                params=(*BID, *PAGED),
            )
        },
        "/bids/{bid_id}/events": {
            "get": _op(
                "streamBidEvents",
                "The bid's live stream (Server-Sent Events), as its live page shows it to the caller: a `snapshot` "
                "event first, then an `activity` event for each change and a fresh `snapshot` after it. Send "
                "`Last-Event-ID` when reconnecting to receive what you missed.",
                "live",
                {
                    200: {
                        "description": "A stream of `text/event-stream` messages until the stream's lifetime ends "
                        "(reconnect with Last-Event-ID).",
                        "content": {"text/event-stream": {"schema": {"type": "string"}}},
                    }
                },
                (404,),
                params=("bid_id", "last_event_id"),
            )
        },
        "/bids/{bid_id}/packs": {
            "post": _op(
                "generatePack",
                "Generate the next version of the bid pack from the bid as it stands (convenors; open, closed "
                "or submitted bids).",
                "packs",
                {201: _ok("Pack", "The new version, its figures and its files.")},
                (403, 404, 409),
                params=BID,
                body=empty,
                body_required=False,
            ),
            "get": _op(
                "listPacks",
                "Every version of the bid pack, newest first (convenors).",
                "packs",
                {200: _ok("PackPage", "A page of versions.")},
                (403, 404, 422),
                params=(*BID, *PAGED),
            ),
        },
        "/bids/{bid_id}/packs/{version}/{file}": {
            "get": _op(
                "downloadPackFile",
                "One file of a version of the bid pack, as an attachment (convenors).",
                "packs",
                {
                    200: {
                        "description": "The file.",
                        "content": {
                            mimetype: {"schema": {"type": "string", "format": "binary"}}
                            for mimetype in DOWNLOAD_TYPES.values()
                        },
                    }
                },
                (403, 404),
                params=("bid_id", "version", "file"),
            )
        },
        "/openapi.json": {
            "get": {
                "operationId": "getOpenApi",
                "summary": "This description.",
                "tags": ["meta"],
                "security": [],
                "responses": {
                    "200": {
                        "description": "The OpenAPI 3.1 description.",
                        "content": {JSON: {"schema": {"type": "object"}}},
                    },
                    "422": _problem(422),
                    "429": _problem(429),
                },
            }
        },
    }


def _id(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647},
    }


PARAMETERS = {
    "bid_id": _id("bid_id", "The bid's id."),
    "pledge_id": _id("pledge_id", "The pledge's id."),
    "request_id": _id("request_id", "The join request's id."),
    "version": _id("version", "The bid pack's version number."),
    "file": {
        "name": "file",
        "in": "path",
        "required": True,
        "description": "The file: `pdf`, `xlsx`, `csv` or `zip` (or its file name, e.g. `bid-pack.pdf`).",
        "schema": {"type": "string"},
    },
    "last_event_id": {
        "name": "Last-Event-ID",
        "in": "header",
        "description": "The id of the last event received: the stream resumes after it.",
        "schema": {"type": "string"},
    },
    "page": {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
    "per_page": {
        "name": "per_page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 50},
    },
    "if_match": {
        "name": "If-Match",
        "in": "header",
        "description": 'The ETag (version) you read, e.g. "3": a write based on an older version is refused with 409.',
        "schema": {"type": "string", "pattern": ETAG_PATTERN},
    },
    "if_none_match": {
        "name": "If-None-Match",
        "in": "header",
        "description": "`*`: only create; 409 if the organisation already has a pledge.",
        "schema": {"type": "string", "enum": ["*"]},
    },
}


@cache
def spec() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Consortium Bid Manager API",
            "version": "1.0.0",
            "description": "Bids, invitations and pledges of match funding. Money is integer pence (`*_pence`) "
            "with a formatted GBP string beside it; times are ISO 8601 with offset, in UTC. Errors are "
            "`application/problem+json` (RFC 9457). Lists take `page` and `per_page` (up to 100).",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token (cbm_…) from the account page or `flask users token`.",
                }
            },
            "parameters": PARAMETERS,
            "schemas": SCHEMAS,
        },
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(spec())
