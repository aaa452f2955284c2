"""The caller's organisation's pledge (read, create or replace, withdraw), all pledges, and a pledge's history."""

from __future__ import annotations

from typing import Annotated

from app.api import responses as r
from app.api import serializers as s
from app.api.auth import caller
from app.api.blueprint import bp
from app.api.fields import Body, Empty, Region, Text, body_config, field, one_of
from app.api.helpers import ID, if_match, ok, viewable_bid
from app.api.operations import describe, reply
from app.api.validation import page_args as pagination
from app.api.validation import read_body
from app.extensions import db
from app.models import Bid
from app.services import access, pledges, totals
from app.services.errors import NotFound, PermissionDenied


class PledgeBody(Body, total=False):
    """The organisation's pledge, whole: a PUT replaces it."""

    __pydantic_config__ = body_config("amount_pence", "homes", "regions", "status", "accept_terms")

    amount_pence: Annotated[int, field("The amount pledged, in pence.", minimum=1)]
    homes: Annotated[int, field("Homes the pledge covers.", minimum=0)]
    regions: Annotated[list[Region], field("ITL1 region codes the pledge covers.", max_items=12)]
    statement: Annotated[Text, field("How the money will be used.", max_length=pledges.MAX_STATEMENT)]
    status: Annotated[one_of("indicative", "confirmed"), field("Indicative, or confirmed by the board.")]
    accept_terms: Annotated[bool, field("Must be true: the organisation accepts the bid's terms.")]


def _member_bid(bid_id: int) -> Bid:
    """The bid for a member of it; 403 for its convenors (they do not pledge), 404 for everyone else."""
    bid = viewable_bid(bid_id)
    if not access.is_bid_member(caller(), bid):
        raise PermissionDenied("Convenors cannot pledge; members of the organisations pledge.")
    return bid


@bp.get(f"/bids/<{ID}:bid_id>/pledge")
@describe(
    "getPledge",
    "The caller's organisation's pledge (members).",
    tag="pledges",
    replies={200: reply(r.Pledge, "The pledge.", etag=True)},
    errors=(403, 404),
)
def get_pledge(bid_id: int):
    bid = _member_bid(bid_id)
    pledge = pledges.current_pledge(bid, caller().organisation_id)
    if pledge is None:
        raise NotFound("Your organisation has not pledged to this bid yet.")
    return ok(s.pledge(pledge), etag=pledge.version)


@bp.put(f"/bids/<{ID}:bid_id>/pledge")
@describe(
    "putPledge",
    "Make or replace the organisation's pledge (members). If-Match makes a stale write a 409; "
    "If-None-Match: * only creates.",
    tag="pledges",
    body=PledgeBody,
    replies={
        200: reply(r.Pledge, "The pledge was replaced.", etag=True),
        201: reply(r.Pledge, "The pledge was made.", etag=True),
    },
    errors=(403, 404, 409),
    headers=("if_match", "if_none_match"),
)
def put_pledge(bid_id: int):
    bid = _member_bid(bid_id)
    expected = if_match(create_only_allowed=True)
    values = read_body()
    current = pledges.current_pledge(bid, caller().organisation_id)
    pledge = pledges.save_pledge(caller(), bid, values, expected_version=expected, pledge=current)
    db.session.flush()
    body, version = s.pledge(pledge), pledge.version
    return ok(body, 200 if current is not None else 201, etag=version)


@bp.delete(f"/bids/<{ID}:bid_id>/pledge")
@describe(
    "withdrawPledge",
    "Withdraw the organisation's pledge (members).",
    tag="pledges",
    body=Empty,
    body_required=False,
    replies={200: reply(r.Pledge, "The withdrawn pledge.", etag=True)},
    errors=(403, 404, 409),
    headers=("if_match",),
)
def delete_pledge(bid_id: int):
    bid = _member_bid(bid_id)
    expected = if_match()
    read_body()
    pledge = pledges.withdraw_pledge(caller(), bid, expected_version=expected)
    db.session.flush()
    body, version = s.pledge(pledge), pledge.version
    return ok(body, etag=version)


@bp.get(f"/bids/<{ID}:bid_id>/pledges")
@describe(
    "listPledges",
    "Every live pledge (convenors; members too when the bid shows amounts).",
    tag="pledges",
    replies={200: reply(r.MemberPledgePage, "A page of pledges, largest first.")},
    errors=(403, 404, 422),
    paged=True,
)
def list_pledges(bid_id: int):
    bid = viewable_bid(bid_id)
    if not access.is_bid_convenor(caller(), bid) and not bid.show_amounts:
        raise PermissionDenied("This bid does not show members each other's pledges.")
    page, per_page = pagination()
    rows = totals.member_rows(bid)
    items = [s.member_row(m) for m in s.slice_page(rows, page, per_page)]
    return ok(s.page(items, page=page, per_page=per_page, total=len(rows)))


@bp.get(f"/bids/<{ID}:bid_id>/pledges/<{ID}:pledge_id>/revisions")
@describe(
    "listRevisions",
    "A pledge's history, newest first (its organisation and the convenors).",
    tag="pledges",
    replies={200: reply(r.RevisionPage, "A page of revisions.")},
    errors=(404, 422),
    paged=True,
)
def pledge_revisions(bid_id: int, pledge_id: int):
    bid = viewable_bid(bid_id)
    page, per_page = pagination()
    _pledge, revisions = pledges.revisions_for(caller(), bid, pledge_id)
    items = [s.revision(r) for r in s.slice_page(revisions, page, per_page)]
    return ok(s.page(items, page=page, per_page=per_page, total=len(revisions)))
