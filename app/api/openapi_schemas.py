"""Component schemas of the OpenAPI description: what each response body holds, field by field."""

from __future__ import annotations

from typing import Any

from app.regions import REGIONS

STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
WHEN = {"type": "string", "format": "date-time", "description": "ISO 8601 with offset (UTC)."}
WHEN_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
INT_OR_NULL = {"type": ["integer", "null"]}
STR_OR_NULL = {"type": ["string", "null"]}
MONEY = {"type": "string", "description": "The amount formatted as GBP, e.g. £6,250,000."}
REGION_CODES = {"type": "array", "items": {"type": "string", "enum": list(REGIONS)}}
NAMED = {
    "type": "object",
    "properties": {"id": INT, "name": STR},
    "required": ["id", "name"],
    "additionalProperties": False,
}
NAMED_OR_NULL = {"oneOf": [{"type": "null"}, NAMED]}
ANY_OBJECT_OR_NULL = {"type": ["object", "null"]}


def obj(properties: dict[str, Any], *, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """A closed object: every property required unless named in ``optional``; nothing else allowed."""
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def page_of(item: str) -> dict[str, Any]:
    return obj(
        {
            "items": {"type": "array", "items": ref(item)},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
            "total": {"type": "integer", "minimum": 0},
        }
    )


PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {
            "type": "string",
            "description": "A URI reference naming the kind of problem, e.g. /api/v1/problems/bid-closed.",
        },
        "title": STR,
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": STR,
        "errors": {
            "type": "object",
            "description": "Per-field messages: field name (dotted for nested values) → messages.",
            "additionalProperties": {"type": "array", "items": STR},
        },
        "current": {"type": "object", "description": "On a stale write: the values as they now stand."},
        "reason": {"type": "string", "description": "Why an invitation token cannot be used."},
    },
    "required": ["type", "title", "status"],
}

REGION_TOTAL = obj(
    {"code": STR, "name": STR, "members": INT, "amount_pence": INT, "amount": MONEY, "homes": INT},
    optional=("amount_pence", "amount", "homes"),
)
THRESHOLD = obj({"label": STR, "required": STR, "actual": STR, "met": BOOL})
TOTALS = obj(
    {
        "status": {"type": "string", "enum": ["draft", "open", "closed", "submitted", "cancelled"]},
        "deadline": WHEN,
        "as_of": WHEN,
        "pledged_pence": INT,
        "pledged": MONEY,
        "target_pence": INT,
        "target": MONEY,
        "percent": {"type": "integer", "minimum": 0, "maximum": 100},
        "confirmed_pence": INT,
        "indicative_pence": INT,
        "homes": INT,
        "target_homes": INT,
        "members_pledged": INT,
        "confirmed_members": INT,
        "invited": INT,
        "accepted": INT,
        "declined": INT,
        "not_responded": INT,
        "expired": INT,
        "by_region": {
            "type": "array",
            "items": ref("RegionTotal"),
            "description": "Amounts and homes are left out for members when the bid hides amounts.",
        },
        "thresholds": {"type": "array", "items": ref("Threshold")},
    }
)
BID_PROPERTIES = {
    "id": INT,
    "title": STR,
    "funder_name": STR,
    "scheme": STR,
    "summary": STR,
    "terms": STR,
    "status": {"type": "string", "enum": ["draft", "open", "closed", "submitted", "cancelled"]},
    "target_pence": INT,
    "target": MONEY,
    "target_homes": INT,
    "min_pledge_pence": INT_OR_NULL,
    "min_total_pence": INT_OR_NULL,
    "min_members": INT_OR_NULL,
    "show_amounts": BOOL,
    "grace_minutes": INT,
    "deadline": WHEN,
    "convening_body": NAMED,
    "version": {"type": "integer", "description": "Send it back in If-Match to edit safely."},
    "created_at": WHEN,
    "opened_at": WHEN_OR_NULL,
    "closed_at": WHEN_OR_NULL,
}
BID_SUMMARY = obj(BID_PROPERTIES)
BID = obj({**BID_PROPERTIES, "totals": ref("Totals")})
PLEDGE = obj(
    {
        "id": INT,
        "bid_id": INT,
        "organisation": NAMED,
        "amount_pence": INT,
        "amount": MONEY,
        "homes": INT,
        "regions": REGION_CODES,
        "statement": STR,
        "status": {"type": "string", "enum": ["indicative", "confirmed", "withdrawn"]},
        "in_grace": BOOL,
        "version": INT,
        "created_at": WHEN,
        "updated_at": WHEN,
        "updated_by": STR_OR_NULL,
    }
)
MEMBER_PLEDGE = obj(
    {
        "id": INT,
        "organisation": obj({"id": INT, "name": STR, "identifier": STR_OR_NULL}),
        "amount_pence": INT,
        "amount": MONEY,
        "homes": INT,
        "regions": REGION_CODES,
        "statement": STR,
        "status": {"type": "string", "enum": ["indicative", "confirmed"]},
        "in_grace": BOOL,
        "has_letter": BOOL,
        "created_at": WHEN,
        "updated_at": WHEN,
    }
)
REVISION = obj(
    {
        "version": INT,
        "action": STR,
        "actor": NAMED_OR_NULL,
        "created_at": WHEN,
        "before": ANY_OBJECT_OR_NULL,
        "after": {"type": "object"},
    }
)
INVITATION = obj(
    {
        "id": INT,
        "organisation_name": STR,
        "email": STR,
        "state": {"type": "string", "enum": ["sent", "accepted", "declined", "pledged", "expired", "revoked"]},
        "organisation_id": INT_OR_NULL,
        "sent_at": WHEN,
        "expires_at": WHEN,
        "responded_at": WHEN_OR_NULL,
        "send_count": INT,
        "decline_reason": STR_OR_NULL,
        "possible_match": {
            "type": ["string", "null"],
            "description": "An existing organisation the invited name matches or looks like, which this convening "
            "body has not worked with: not linked unless its managers approve the invitee.",
        },
        "awaiting_approval": {
            "type": "boolean",
            "description": "The invitee asked to join an existing organisation and waits for its managers.",
        },
    }
)
INVITE_RESULT = obj(
    {
        "line": {"type": "integer", "description": "1-based position in the request's list."},
        "organisation_name": STR,
        "email": STR,
        "status": {"type": "string", "enum": ["invited", "refused"]},
        "reason": STR_OR_NULL,
        "invitation": {"oneOf": [{"type": "null"}, ref("Invitation")]},
    }
)
INVITE_REPORT = obj({"invited": INT, "refused": INT, "results": {"type": "array", "items": ref("InviteResult")}})
USER = obj(
    {
        "id": INT,
        "name": STR,
        "email": STR,
        "role": {"type": "string", "enum": ["convenor", "member"]},
        "organisation": NAMED,
    }
)
ACCEPTED = obj(
    {
        "user": {"oneOf": [{"type": "null"}, ref("User")]},
        "join_request": {
            "oneOf": [
                {"type": "null"},
                obj(
                    {
                        "id": INT,
                        "status": {"type": "string", "enum": ["pending"]},
                        "organisation": {"type": "object", "properties": {"name": STR}, "required": ["name"]},
                    }
                ),
            ],
            "description": "Set when the invitation names an organisation that already has people: no account "
            "exists until one of its managers approves.",
        },
        "bid": obj({"id": INT, "title": STR}),
        "api_token": {"type": ["string", "null"], "description": "A new API token for a new account, shown once."},
        "api_token_id": INT_OR_NULL,
    }
)
JOIN_REQUEST = obj(
    {
        "id": INT,
        "name": STR,
        "email": STR,
        "status": {"type": "string", "enum": ["pending", "approved", "refused", "cancelled"]},
        "created_at": WHEN,
        "decided_at": WHEN_OR_NULL,
        "invited_by": STR,
        "bid": obj({"id": INT, "title": STR}),
        "invited_as": STR,
    }
)
AUDIT_EVENT = obj(
    {
        "id": INT,
        "created_at": WHEN,
        "action": STR,
        "actor": NAMED_OR_NULL,
        "organisation_id": INT_OR_NULL,
        "subject_type": STR_OR_NULL,
        "subject_id": INT_OR_NULL,
        "before": ANY_OBJECT_OR_NULL,
        "after": ANY_OBJECT_OR_NULL,
    }
)
PACK_FILE = obj(
    {
        "kind": {"type": "string", "enum": ["pdf", "xlsx", "csv", "zip"]},
        "name": STR,
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "size": {"type": "integer", "minimum": 0},
        "url": {"type": "string", "description": "Where to download it (GET, with the same token)."},
    }
)
PACK_FIGURES = obj(
    {
        "total_pence": INT,
        "total": MONEY,
        "confirmed_pence": INT,
        "indicative_pence": INT,
        "homes": INT,
        "members": INT,
        "letters": INT,
        "in_grace": INT,
        "target_pence": INT_OR_NULL,
        "target_homes": INT_OR_NULL,
    }
)
PACK = obj(
    {
        "version": {"type": "integer", "minimum": 1},
        "created_at": WHEN,
        "created_by": NAMED_OR_NULL,
        "figures": ref("PackFigures"),
        "files": {"type": "array", "items": ref("PackFile")},
    }
)

SCHEMAS: dict[str, Any] = {
    "Problem": PROBLEM,
    "RegionTotal": REGION_TOTAL,
    "Threshold": THRESHOLD,
    "Totals": TOTALS,
    "BidSummary": BID_SUMMARY,
    "Bid": BID,
    "BidPage": page_of("BidSummary"),
    "Pledge": PLEDGE,
    "MemberPledge": MEMBER_PLEDGE,
    "MemberPledgePage": page_of("MemberPledge"),
    "Revision": REVISION,
    "RevisionPage": page_of("Revision"),
    "Invitation": INVITATION,
    "InvitationPage": page_of("Invitation"),
    "InviteResult": INVITE_RESULT,
    "InviteReport": INVITE_REPORT,
    "User": USER,
    "Accepted": ACCEPTED,
    "JoinRequest": JOIN_REQUEST,
    "JoinRequestList": obj({"items": {"type": "array", "items": ref("JoinRequest")}}),
    "AuditEvent": AUDIT_EVENT,
    "AuditPage": page_of("AuditEvent"),
    "PackFile": PACK_FILE,
    "PackFigures": PACK_FIGURES,
    "Pack": PACK,
    "PackPage": page_of("Pack"),
}
