"""Invitations: invite organisations in bulk, list them, and accept one with its token."""

from __future__ import annotations

from typing import Annotated

from flask import g

from app.api import responses as r
from app.api import serializers as s
from app.api.auth import caller
from app.api.blueprint import bp
from app.api.fields import Body, Region, Text, body_config, field
from app.api.helpers import ID, convenor_bid, ok
from app.api.operations import describe, reply
from app.api.validation import page_args as pagination
from app.api.validation import read_body
from app.database import reading
from app.extensions import db
from app.models import JoinRequest
from app.services import api_tokens, directory_invites, invitation_links, invitation_rows, invitations, join_requests
from app.services.errors import ValidationFailed
from app.web.transaction import end_read


class InviteRow(Body, total=False):
    """One organisation to invite."""

    __pydantic_config__ = body_config("organisation_name", "email")

    organisation_name: Annotated[Text, field("The organisation's name.", max_length=200)]
    email: Annotated[Text, field("The contact's email address.", max_length=254)]


class InviteBody(Body, total=False):
    """Organisations to invite: each row is invited or refused with its reason. Give one of ``invitations``
    (names and addresses), ``organisation_ids`` (directory organisations, each to its primary contact) or
    ``tag`` (every directory organisation with the tag)."""

    __pydantic_config__ = body_config()

    invitations: Annotated[list[InviteRow], field("One entry per organisation.", max_items=invitation_rows.MAX_ROWS)]
    organisation_ids: Annotated[
        list[Annotated[int, field(minimum=1, maximum=2147483647)]],
        field("Ids of organisations in your directory.", max_items=invitation_rows.MAX_ROWS),
    ]
    tag: Annotated[Text, field("A tag of your directory.", max_length=80)]
    message: Annotated[
        Text | None,
        field(
            "A personal message from the convenor at the top of every invitation email (replies go to the convenor).",
            max_length=invitations.MAX_MESSAGE,
        ),
    ]


class OrganisationProfile(Body, total=False):
    """A new member organisation's profile."""

    __pydantic_config__ = body_config("name")

    name: Annotated[Text, field(max_length=200)]
    identifier: Annotated[Text | None, field("org-id, e.g. GB-SHPE-L0026.", max_length=40)]
    homes_owned: Annotated[int | None, field(minimum=0)]
    regions: Annotated[list[Region], field(max_items=12)]
    website: Annotated[Text | None, field(max_length=300)]


class AcceptBody(Body, total=False):
    """Accepting an invitation: the token alone with an API token, or a new account's details without one."""

    __pydantic_config__ = body_config("token")

    token: Annotated[Text, field("The token from the invitation link (the part after /invitations/).", max_length=500)]
    name: Annotated[Text, field("Your name (new accounts).", max_length=200)]
    password: Annotated[Text, field("A password of at least 10 characters (new accounts).", max_length=200)]
    organisation: Annotated[
        OrganisationProfile,
        field(
            "The organisation's profile, when the invitation does not name one already known. Leave it out to ask "
            "to join the organisation the invitation names or possibly matches (its managers approve)."
        ),
    ]


@bp.post(f"/bids/<{ID}:bid_id>/invitations")
@describe(
    "inviteOrganisations",
    "Invite organisations; each row is invited or refused with a reason (convenors).",
    tag="invitations",
    body=InviteBody,
    replies={200: reply(r.InviteReport, "A result per row.")},
    errors=(403, 404, 409),
)
def create_invitations(bid_id: int):
    bid = convenor_bid(bid_id)
    values = read_body()
    given = [k for k in ("invitations", "organisation_ids", "tag") if k in values]
    if len(given) > 1:
        raise ValidationFailed({given[1]: ["Give one of invitations, organisation_ids or tag, not more."]})
    if given and given[0] != "invitations":
        ids, tag = values.get("organisation_ids"), values.get("tag")
        if given[0] == "organisation_ids" and not ids:
            raise ValidationFailed({"organisation_ids": ["Give at least one organisation id."]})
        report = directory_invites.invite_entries(caller(), bid, entry_ids=ids, tag=tag)
        db.session.flush()
        return ok(_report_body(report))
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
        caller(),
        bid,
        [(i + 1, row["organisation_name"], row["email"]) for i, row in enumerate(rows)],
        message=values.get("message"),
    )
    db.session.flush()
    return ok(_report_body(report))


def _report_body(report) -> dict:
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
    # Directory organisations skipped (already invited, no contact) come last, numbered after the rest.
    last = max((x["line"] for x in results), default=0)
    for number, result in enumerate((x for x in results if x["line"] == 0), start=last + 1):
        result["line"] = number
    results.sort(key=lambda x: x["line"])
    return {"invited": len(report.accepted), "refused": len(report.refused), "results": results}


@bp.get(f"/bids/<{ID}:bid_id>/invitations")
@describe(
    "listInvitations",
    "The bid's invitations and their states (convenors).",
    tag="invitations",
    replies={200: reply(r.InvitationPage, "A page of invitations.")},
    errors=(403, 404, 422),
    paged=True,
)
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
@describe(
    "acceptInvitation",
    "Accept an invitation: as a new account (name, password, organisation) or, with a token, as its user.",
    tag="invitations",
    body=AcceptBody,
    replies={
        200: reply(r.Accepted, "Accepted by the token's user."),
        201: reply(r.Accepted, "A new account was made; `api_token` is its first API token, shown once."),
        202: reply(
            r.Accepted,
            "The organisation already has people: a request to join went to its managers; no account exists "
            "until one approves.",
        ),
    },
    errors=(403, 409),
    auth="optional",
)
def accept_invitation():
    values = read_body()
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
        return ok(body)
    missing = {n: ["This field is required when accepting without an API token."] for n in ("name", "password")}
    missing = {n: m for n, m in missing.items() if n not in values}
    if missing:
        raise ValidationFailed(missing)
    with reading():
        invitation = invitation_links.read_token(values["token"])
        bid_ref = {"id": invitation.bid_id, "title": invitation.bid.title}
    end_read()  # that only read: the password hash in accept_new_user then runs outside any transaction
    user = invitations.accept_new_user(
        values["token"], name=values["name"], password=values["password"], organisation=values.get("organisation")
    )
    if isinstance(user, JoinRequest):  # no account, so no token, until the organisation's managers approve
        request = {"id": user.id, "status": str(user.status), "organisation": {"name": user.organisation.name}}
        body = {"user": None, "join_request": request, "bid": bid_ref, "api_token": None, "api_token_id": None}
        return ok(body, 202)
    plaintext, token = api_tokens.create_token(user, f"Created when joining {bid_ref['title']}"[:100])
    body = {
        "user": s.user(user),
        "join_request": None,
        "bid": bid_ref,
        "api_token": plaintext,
        "api_token_id": token.id,
    }
    return ok(body, 201)


@bp.get("/join-requests")
@describe(
    "listJoinRequests",
    "Requests to join the caller's organisation, waiting ones first (its managers).",
    tag="invitations",
    replies={200: reply(r.JoinRequestList, "The requests.")},
    errors=(403,),
)
def list_join_requests():
    rows = join_requests.requests_for_manager(caller())
    return ok({"items": [s.join_request(r) for r in rows]})


@bp.post(f"/join-requests/<{ID}:request_id>/approve")
@describe(
    "approveJoinRequest",
    "Approve: the person's account is made in the organisation (its managers).",
    tag="invitations",
    replies={200: reply(r.JoinRequest, "The request, decided.")},
    errors=(404, 409),
)
def approve_join_request(request_id: int):
    return _decide(request_id, join_requests.approve)


@bp.post(f"/join-requests/<{ID}:request_id>/refuse")
@describe(
    "refuseJoinRequest",
    "Refuse: no account is made and the invitation is closed (its managers).",
    tag="invitations",
    replies={200: reply(r.JoinRequest, "The request, decided.")},
    errors=(404, 409),
)
def refuse_join_request(request_id: int):
    return _decide(request_id, join_requests.refuse)


def _decide(request_id: int, decision):
    request = join_requests.get_for_manager(caller(), request_id)
    decision(caller(), request)
    db.session.flush()
    return ok(s.join_request(request))
