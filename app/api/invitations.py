"""Invitations: invite organisations in bulk, list them, and accept one with its token."""

from __future__ import annotations

from flask import g

from app.api import serializers as s
from app.api.auth import caller
from app.api.blueprint import bp
from app.api.helpers import ID, convenor_bid, ok
from app.api.validation import REGION, Field, read_body
from app.api.validation import page_args as pagination
from app.database import reading
from app.extensions import db
from app.models import JoinRequest
from app.services import api_tokens, invitation_rows, invitations, join_requests
from app.services.errors import ValidationFailed

INVITE_ROW = Field(
    "object",
    fields={
        "organisation_name": Field("string", "The organisation's name.", max_length=200),
        "email": Field("string", "The contact's email address.", max_length=254),
    },
    required=("organisation_name", "email"),
)
INVITE_FIELDS = {
    "invitations": Field("array", "One entry per organisation.", items=INVITE_ROW, max_items=invitation_rows.MAX_ROWS)
}
ORGANISATION = Field(
    "object",
    "The organisation's profile, when the invitation does not name one already known. Leave it out to ask to "
    "join the organisation the invitation names or possibly matches (its managers approve).",
    fields={
        "name": Field("string", max_length=200),
        "identifier": Field("string", "org-id, e.g. GB-SHPE-L0026.", nullable=True, max_length=40),
        "homes_owned": Field("integer", nullable=True, minimum=0),
        "regions": Field("array", items=REGION, max_items=12),
        "website": Field("string", nullable=True, max_length=300),
    },
    required=("name",),
)
ACCEPT_FIELDS = {
    "token": Field("string", "The token from the invitation link (the part after /invitations/).", max_length=500),
    "name": Field("string", "Your name (new accounts).", max_length=200),
    "password": Field("string", "A password of at least 10 characters (new accounts).", max_length=200),
    "organisation": ORGANISATION,
}


@bp.post(f"/bids/<{ID}:bid_id>/invitations")
def create_invitations(bid_id: int):
    bid = convenor_bid(bid_id)
    values = read_body(INVITE_FIELDS)
    rows = values.get("invitations")
    errors: dict[str, list[str]] = {}
    if not rows:
        errors["invitations"] = ["Give at least one invitation."]
    for index, row in enumerate(rows or []):
        for name in ("organisation_name", "email"):
            if name not in row:
                errors.setdefault(f"invitations[{index}].{name}", []).append("This field is required.")
    if errors:
        raise ValidationFailed(errors)
    report = invitations.invite_many(
        caller(), bid, [(i + 1, row["organisation_name"], row["email"]) for i, row in enumerate(rows)]
    )
    db.session.flush()
    results = [
        {
            "line": r.line,
            "organisation_name": r.organisation_name,
            "email": r.email,
            "status": "invited",
            "reason": None,
        }
        | {"invitation": s.invitation(r.invitation, "sent")}
        for r in report.accepted
    ] + [
        {
            "line": r.line,
            "organisation_name": r.organisation_name,
            "email": r.email,
            "status": "refused",
            "reason": r.reason,
            "invitation": None,
        }
        for r in report.refused
    ]
    results.sort(key=lambda r: r["line"])
    body = {"invited": len(report.accepted), "refused": len(report.refused), "results": results}
    db.session.commit()
    return ok(body)


@bp.get(f"/bids/<{ID}:bid_id>/invitations")
def list_invitations(bid_id: int):
    bid = convenor_bid(bid_id)
    page, per_page = pagination()
    rows = invitations.list_for_bid(bid)
    awaiting = join_requests.awaiting_for_bid(bid)
    items = [
        s.invitation(i, state, awaiting_approval=i.id in awaiting) for i, state in s.slice_page(rows, page, per_page)
    ]
    return ok(s.page(items, page=page, per_page=per_page, total=len(rows)))


@bp.post("/invitations/accept")
def accept_invitation():
    values = read_body(ACCEPT_FIELDS)
    if not values.get("token"):
        raise ValidationFailed({"token": ["Give the token from the invitation link."]})
    user = g.api_user
    if user is not None:
        extra = sorted(k for k in values if k != "token")
        if extra:
            raise ValidationFailed({k: ["Not needed: you are accepting as the token's user."] for k in extra})
        invitation = invitations.accept_existing_user(values["token"], user)
        body = {
            "user": s.user(user),
            "join_request": None,
            "bid": {"id": invitation.bid_id, "title": invitation.bid.title},
            "api_token": None,
            "api_token_id": None,
        }
        db.session.commit()
        return ok(body)
    missing = {n: ["This field is required when accepting without an API token."] for n in ("name", "password")}
    missing = {n: m for n, m in missing.items() if n not in values}
    if missing:
        raise ValidationFailed(missing)
    with reading():
        invitation = invitations.read_token(values["token"])
        bid_ref = {"id": invitation.bid_id, "title": invitation.bid.title}
    db.session.commit()  # that only read: the password hash in accept_new_user then runs outside any transaction
    user = invitations.accept_new_user(
        values["token"], name=values["name"], password=values["password"], organisation=values.get("organisation")
    )
    if isinstance(user, JoinRequest):  # no account, so no token, until the organisation's managers approve
        request = {"id": user.id, "status": str(user.status), "organisation": {"name": user.organisation.name}}
        body = {"user": None, "join_request": request, "bid": bid_ref, "api_token": None, "api_token_id": None}
        db.session.commit()
        return ok(body, 202)
    plaintext, token = api_tokens.create_token(user, f"Created when joining {bid_ref['title']}"[:100])
    body = {
        "user": s.user(user),
        "join_request": None,
        "bid": bid_ref,
        "api_token": plaintext,
        "api_token_id": token.id,
    }
    db.session.commit()
    return ok(body, 201)


@bp.get("/join-requests")
def list_join_requests():
    rows = join_requests.requests_for_manager(caller())
    return ok({"items": [s.join_request(r) for r in rows]})


@bp.post(f"/join-requests/<{ID}:request_id>/approve")
def approve_join_request(request_id: int):
    return _decide(request_id, join_requests.approve)


@bp.post(f"/join-requests/<{ID}:request_id>/refuse")
def refuse_join_request(request_id: int):
    return _decide(request_id, join_requests.refuse)


def _decide(request_id: int, decision):
    request = join_requests.get_for_manager(caller(), request_id)
    decision(caller(), request)
    db.session.flush()
    body = s.join_request(request)
    db.session.commit()
    return ok(body)
