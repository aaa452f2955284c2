"""Bids: list, create, read, edit, the lifecycle, totals and the audit log."""

from __future__ import annotations

from typing import Annotated

from flask import url_for

from app.api import responses as r
from app.api import serializers as s
from app.api.auth import caller
from app.api.blueprint import bp
from app.api.fields import Body, Empty, Text, When, body_config, field, one_of
from app.api.helpers import ID, convenor_bid, if_match, ok, viewable_bid
from app.api.operations import describe, reply
from app.api.validation import page_args as pagination
from app.api.validation import read_body
from app.extensions import db
from app.models import Bid
from app.services import access, audit, bid_copy, bids, disclosure, outcomes
from app.services.errors import ValidationFailed

TEXT = 20_000


class BidBody(Body, total=False):
    """The fields of a bid a convenor edits: PATCH sends only those that change."""

    title: Annotated[Text, field("What the bid is called.", max_length=200)]
    funder_name: Annotated[Text, field("The funder running the scheme.", max_length=200)]
    scheme: Annotated[Text, field("The funder's scheme.", max_length=200)]
    summary: Annotated[Text, field("The convenor's case for the bid.", max_length=TEXT)]
    terms: Annotated[Text, field("Terms each member accepts when pledging.", max_length=TEXT)]
    target_pence: Annotated[int, field("Target match funding, in pence.", minimum=1)]
    target_homes: Annotated[int, field("Target number of homes covered.", minimum=0)]
    min_pledge_pence: Annotated[int | None, field("Smallest pledge accepted, in pence.", minimum=1)]
    min_total_pence: Annotated[int | None, field("The scheme's minimum total, in pence.", minimum=1)]
    min_members: Annotated[int | None, field("The scheme's minimum number of members.", minimum=1)]
    show_amounts: Annotated[bool, field("Whether members see each other's amounts.")]
    grace_minutes: Annotated[int, field("Minutes after the deadline members who started may still save.", minimum=0)]
    deadline: Annotated[When, field("When pledges close (ISO 8601 with offset).")]


class NewBidBody(BidBody, total=False):
    """A new bid, kept as a draft or opened at once."""

    __pydantic_config__ = body_config("title", "funder_name", "scheme", "target_pence", "target_homes", "deadline")

    status: Annotated[one_of("draft", "open"), field("Open at once, or keep as a draft.")]


class ExtendBody(Body, total=False):
    """The new deadline."""

    __pydantic_config__ = body_config("deadline")

    deadline: Annotated[When, field("The new deadline (ISO 8601 with offset).")]


class CopyBody(Body, total=False):
    """The new bid's deadline, and optionally its title and whom to invite again."""

    __pydantic_config__ = body_config("deadline")

    deadline: Annotated[When, field("The new bid's deadline (ISO 8601 with offset); it is not copied.")]
    title: Annotated[Text, field("The new bid's title; by default the title marked as a copy.", max_length=200)]
    invite: Annotated[
        one_of(*bid_copy.INVITE),
        field("Whom to invite now: nobody (none), those who pledged (pledged), or everyone invited (invited)."),
    ]


BID_REPLY = {200: reply(r.Bid, "The bid with its totals.", etag=True)}
#: The lifecycle actions take no fields: an empty body, or none.
ACTION = {"tag": "bids", "body": Empty, "body_required": False, "replies": BID_REPLY, "errors": (403, 404, 409, 422)}


def _bid_response(bid: Bid, status: int = 200, **headers):
    user = caller()
    convenor = access.is_bid_convenor(user, bid)
    body = s.bid(bid, disclosure.totals_for(user, bid), amounts_visible=convenor or bid.show_amounts)
    recorded = outcomes.outcome_of(bid) if bid.has_outcome else None
    body["outcome"] = s.outcome(recorded) if recorded else None
    return ok(body, status, etag=bid.version, **headers)


@bp.get("/bids")
@describe(
    "listBids",
    "The bids the caller can see.",
    tag="bids",
    replies={200: reply(r.BidPage, "A page of bids.")},
    errors=(422,),
    paged=True,
)
def list_bids():
    page, per_page = pagination()
    rows = access.visible_bids(caller())
    return ok(
        s.page([s.bid(b) for b in s.slice_page(rows, page, per_page)], page=page, per_page=per_page, total=len(rows))
    )


@bp.post("/bids")
@describe(
    "createBid",
    "Create a bid as a draft, or open it at once (convenors).",
    tag="bids",
    body=NewBidBody,
    replies={201: reply(r.Bid, "The new bid.", etag=True, location=True)},
    errors=(403, 409),
)
def create_bid():
    values = read_body()
    status = values.pop("status", "draft")
    bid = bids.create_bid(caller(), values, open_now=status == "open")
    db.session.flush()
    return _bid_response(bid, 201, location=url_for("api.get_bid", bid_id=bid.id))


@bp.get(f"/bids/<{ID}:bid_id>")
@describe("getBid", "A bid with its totals.", tag="bids", replies=BID_REPLY, errors=(404,))
def get_bid(bid_id: int):
    return _bid_response(viewable_bid(bid_id))


@bp.patch(f"/bids/<{ID}:bid_id>")
@describe(
    "updateBid",
    "Edit the fields the bid's status allows (convenors). If-Match makes a stale edit a 409.",
    tag="bids",
    body=BidBody,
    replies=BID_REPLY,
    errors=(403, 404, 409),
    headers=("if_match",),
)
def update_bid(bid_id: int):
    bid = convenor_bid(bid_id)
    expected = if_match()
    values = read_body()
    bids.update_bid(caller(), bid, values, expected_version=expected)
    db.session.flush()
    return _bid_response(bid)


def _transition(bid_id: int, operation):
    bid = convenor_bid(bid_id)
    read_body()
    operation(caller(), bid)
    db.session.flush()
    return _bid_response(bid)


@bp.post(f"/bids/<{ID}:bid_id>/open")
@describe("openBid", "Open a draft bid (convenors).", **ACTION)
def open_bid(bid_id: int):
    return _transition(bid_id, bids.open_bid)


@bp.post(f"/bids/<{ID}:bid_id>/close")
@describe("closeBid", "Close an open bid early (convenors).", **ACTION)
def close_bid(bid_id: int):
    return _transition(bid_id, bids.close_bid)


@bp.post(f"/bids/<{ID}:bid_id>/cancel")
@describe("cancelBid", "Cancel a draft or open bid (convenors).", **ACTION)
def cancel_bid(bid_id: int):
    return _transition(bid_id, bids.cancel_bid)


@bp.post(f"/bids/<{ID}:bid_id>/extend")
@describe(
    "extendBid",
    "Move an open bid's deadline later, or reopen a closed bid with a new deadline (convenors).",
    tag="bids",
    body=ExtendBody,
    replies=BID_REPLY,
    errors=(403, 404, 409),
)
def extend_bid(bid_id: int):
    bid = convenor_bid(bid_id)
    values = read_body()
    if "deadline" not in values:
        raise ValidationFailed({"deadline": ["Enter the new deadline as a date and time."]})
    bids.extend_deadline(caller(), bid, values["deadline"])
    db.session.flush()
    return _bid_response(bid)


@bp.post(f"/bids/<{ID}:bid_id>/copy")
@describe(
    "copyBid",
    "Copy a bid as a new draft with its own deadline, optionally inviting the same organisations (convenors).",
    tag="bids",
    body=CopyBody,
    replies={201: reply(r.Bid, "The new draft bid.", etag=True, location=True)},
    errors=(403, 404, 409),
)
def copy_bid(bid_id: int):
    source = convenor_bid(bid_id)
    values = read_body()
    bid, _report = bid_copy.copy_bid(
        caller(),
        source,
        deadline=values.get("deadline"),
        title=values.get("title"),
        invite=values.get("invite", "none"),
    )
    db.session.flush()
    return _bid_response(bid, 201, location=url_for("api.get_bid", bid_id=bid.id))


@bp.get(f"/bids/<{ID}:bid_id>/totals")
@describe(
    "getTotals", "The bid's figures now.", tag="bids", replies={200: reply(r.Totals, "The totals.")}, errors=(404,)
)
def bid_totals(bid_id: int):
    bid = viewable_bid(bid_id)
    visible = access.is_bid_convenor(caller(), bid) or bid.show_amounts
    return ok(s.totals(bid, disclosure.totals_for(caller(), bid), amounts_visible=visible))


@bp.get(f"/bids/<{ID}:bid_id>/audit")
@describe(
    "listAudit",
    "The bid's audit log, newest first (convenors).",
    tag="bids",
    replies={200: reply(r.AuditPage, "A page of audit events.")},
    errors=(403, 404, 422),
    paged=True,
)
def bid_audit(bid_id: int):
    bid = convenor_bid(bid_id)
    page, per_page = pagination()
    events, total = audit.events_for_bid(bid, page=page, per_page=per_page)
    return ok(s.page([s.audit_event(e) for e in events], page=page, per_page=per_page, total=total))
