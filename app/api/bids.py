"""Bids: list, create, read, edit, the lifecycle, totals and the audit log."""

from __future__ import annotations

from flask import url_for

from app.api import serializers as s
from app.api.auth import caller
from app.api.blueprint import bp
from app.api.helpers import ID, convenor_bid, if_match, ok, viewable_bid
from app.api.validation import Field, read_body
from app.api.validation import page_args as pagination
from app.extensions import db
from app.models import Bid
from app.services import access, audit, bids, disclosure
from app.services.errors import ValidationFailed

TEXT = 20_000
BID_FIELDS: dict[str, Field] = {
    "title": Field("string", "What the bid is called.", max_length=200),
    "funder_name": Field("string", "The funder running the scheme.", max_length=200),
    "scheme": Field("string", "The funder's scheme.", max_length=200),
    "summary": Field("string", "The convenor's case for the bid.", max_length=TEXT),
    "terms": Field("string", "Terms each member accepts when pledging.", max_length=TEXT),
    "target_pence": Field("integer", "Target match funding, in pence.", minimum=1),
    "target_homes": Field("integer", "Target number of homes covered.", minimum=0),
    "min_pledge_pence": Field("integer", "Smallest pledge accepted, in pence.", nullable=True, minimum=1),
    "min_total_pence": Field("integer", "The scheme's minimum total, in pence.", nullable=True, minimum=1),
    "min_members": Field("integer", "The scheme's minimum number of members.", nullable=True, minimum=1),
    "show_amounts": Field("boolean", "Whether members see each other's amounts."),
    "grace_minutes": Field("integer", "Minutes after the deadline members who started may still save.", minimum=0),
    "deadline": Field("datetime", "When pledges close (ISO 8601 with offset)."),
}
CREATE_FIELDS = {
    **BID_FIELDS,
    "status": Field("string", "Open at once, or keep as a draft.", choices=("draft", "open")),
}
CREATE_REQUIRED = ("title", "funder_name", "scheme", "target_pence", "target_homes", "deadline")
EXTEND_FIELDS = {"deadline": Field("datetime", "The new deadline (ISO 8601 with offset).")}


def _bid_response(bid: Bid, status: int = 200, **headers):
    user = caller()
    convenor = access.is_bid_convenor(user, bid)
    body = s.bid(bid, disclosure.totals_for(user, bid), amounts_visible=convenor or bid.show_amounts)
    return ok(body, status, etag=bid.version, **headers)


@bp.get("/bids")
def list_bids():
    page, per_page = pagination()
    rows = access.visible_bids(caller())
    return ok(
        s.page([s.bid(b) for b in s.slice_page(rows, page, per_page)], page=page, per_page=per_page, total=len(rows))
    )


@bp.post("/bids")
def create_bid():
    values = read_body(CREATE_FIELDS)
    status = values.pop("status", "draft")
    bid = bids.create_bid(caller(), values, open_now=status == "open")
    db.session.flush()
    response = _bid_response(bid, 201, location=url_for("api.get_bid", bid_id=bid.id))
    db.session.commit()
    return response


@bp.get(f"/bids/<{ID}:bid_id>")
def get_bid(bid_id: int):
    return _bid_response(viewable_bid(bid_id))


@bp.patch(f"/bids/<{ID}:bid_id>")
def update_bid(bid_id: int):
    bid = convenor_bid(bid_id)
    expected = if_match()
    values = read_body(BID_FIELDS)
    bids.update_bid(caller(), bid, values, expected_version=expected)
    db.session.flush()
    response = _bid_response(bid)
    db.session.commit()
    return response


def _transition(bid_id: int, operation):
    bid = convenor_bid(bid_id)
    read_body({}, optional=True)
    operation(caller(), bid)
    db.session.flush()
    response = _bid_response(bid)
    db.session.commit()
    return response


@bp.post(f"/bids/<{ID}:bid_id>/open")
def open_bid(bid_id: int):
    return _transition(bid_id, bids.open_bid)


@bp.post(f"/bids/<{ID}:bid_id>/close")
def close_bid(bid_id: int):
    return _transition(bid_id, bids.close_bid)


@bp.post(f"/bids/<{ID}:bid_id>/cancel")
def cancel_bid(bid_id: int):
    return _transition(bid_id, bids.cancel_bid)


@bp.post(f"/bids/<{ID}:bid_id>/extend")
def extend_bid(bid_id: int):
    bid = convenor_bid(bid_id)
    values = read_body(EXTEND_FIELDS)
    if "deadline" not in values:
        raise ValidationFailed({"deadline": ["Enter the new deadline as a date and time."]})
    bids.extend_deadline(caller(), bid, values["deadline"])
    db.session.flush()
    response = _bid_response(bid)
    db.session.commit()
    return response


@bp.get(f"/bids/<{ID}:bid_id>/totals")
def bid_totals(bid_id: int):
    bid = viewable_bid(bid_id)
    visible = access.is_bid_convenor(caller(), bid) or bid.show_amounts
    return ok(s.totals(bid, disclosure.totals_for(caller(), bid), amounts_visible=visible))


@bp.get(f"/bids/<{ID}:bid_id>/audit")
def bid_audit(bid_id: int):
    bid = convenor_bid(bid_id)
    page, per_page = pagination()
    events, total = audit.events_for_bid(bid, page=page, per_page=per_page)
    return ok(s.page([s.audit_event(e) for e in events], page=page, per_page=per_page, total=total))
