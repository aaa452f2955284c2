"""The caller's organisation's pledge (read, create or replace, withdraw), all pledges, and a pledge's history."""

from __future__ import annotations

from app.api import serializers as s
from app.api.auth import caller
from app.api.blueprint import bp
from app.api.helpers import ID, if_match, ok, viewable_bid
from app.api.validation import REGION, Field, read_body
from app.api.validation import page_args as pagination
from app.extensions import db
from app.models import Bid
from app.services import access, pledges, totals
from app.services.errors import NotFound, PermissionDenied

PLEDGE_FIELDS: dict[str, Field] = {
    "amount_pence": Field("integer", "The amount pledged, in pence.", minimum=1),
    "homes": Field("integer", "Homes the pledge covers.", minimum=0),
    "regions": Field("array", "ITL1 region codes the pledge covers.", items=REGION, max_items=12),
    "statement": Field("string", "How the money will be used.", max_length=pledges.MAX_STATEMENT),
    "status": Field("string", "Indicative, or confirmed by the board.", choices=("indicative", "confirmed")),
    "accept_terms": Field("boolean", "Must be true: the organisation accepts the bid's terms."),
}
PLEDGE_REQUIRED = ("amount_pence", "homes", "regions", "status", "accept_terms")


def _member_bid(bid_id: int) -> Bid:
    """The bid for a member of it; 403 for its convenors (they do not pledge), 404 for everyone else."""
    bid = viewable_bid(bid_id)
    if not access.is_bid_member(caller(), bid):
        raise PermissionDenied("Convenors cannot pledge; members of the organisations pledge.")
    return bid


@bp.get(f"/bids/<{ID}:bid_id>/pledge")
def get_pledge(bid_id: int):
    bid = _member_bid(bid_id)
    pledge = pledges.current_pledge(bid, caller().organisation_id)
    if pledge is None:
        raise NotFound("Your organisation has not pledged to this bid yet.")
    return ok(s.pledge(pledge), etag=pledge.version)


@bp.put(f"/bids/<{ID}:bid_id>/pledge")
def put_pledge(bid_id: int):
    bid = _member_bid(bid_id)
    expected = if_match(create_only_allowed=True)
    values = read_body(PLEDGE_FIELDS)
    existed = pledges.current_pledge(bid, caller().organisation_id) is not None
    pledge = pledges.save_pledge(caller(), bid, values, expected_version=expected)
    db.session.flush()
    body, version = s.pledge(pledge), pledge.version
    return ok(body, 200 if existed else 201, etag=version)


@bp.delete(f"/bids/<{ID}:bid_id>/pledge")
def delete_pledge(bid_id: int):
    bid = _member_bid(bid_id)
    expected = if_match()
    read_body({}, optional=True)
    pledge = pledges.withdraw_pledge(caller(), bid, expected_version=expected)
    db.session.flush()
    body, version = s.pledge(pledge), pledge.version
    return ok(body, etag=version)


@bp.get(f"/bids/<{ID}:bid_id>/pledges")
def list_pledges(bid_id: int):
    bid = viewable_bid(bid_id)
    if not access.is_bid_convenor(caller(), bid) and not bid.show_amounts:
        raise PermissionDenied("This bid does not show members each other's pledges.")
    page, per_page = pagination()
    rows = totals.member_rows(bid)
    items = [s.member_row(m) for m in s.slice_page(rows, page, per_page)]
    return ok(s.page(items, page=page, per_page=per_page, total=len(rows)))


@bp.get(f"/bids/<{ID}:bid_id>/pledges/<{ID}:pledge_id>/revisions")
def pledge_revisions(bid_id: int, pledge_id: int):
    bid = viewable_bid(bid_id)
    page, per_page = pagination()
    _pledge, revisions = pledges.revisions_for(caller(), bid, pledge_id)
    items = [s.revision(r) for r in s.slice_page(revisions, page, per_page)]
    return ok(s.page(items, page=page, per_page=per_page, total=len(revisions)))
