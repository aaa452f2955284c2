"""After the bid: submit, the outcome, the delivery figures and the 360Giving export."""

from __future__ import annotations

from typing import Annotated, Any

from flask import url_for

from app.api import delivery_responses as dr
from app.api import serializers as s
from app.api.auth import caller
from app.api.blueprint import bp
from app.api.fields import Body, Day, Empty, Text, body_config, field, one_of
from app.api.helpers import ID, convenor_bid, if_match, ok, viewable_bid
from app.api.live_packs import FILE
from app.api.operations import describe, reply
from app.api.validation import read_body
from app.extensions import db
from app.infra import clock
from app.models import Bid
from app.services import access, disclosure, giving360, outcomes
from app.services import delivery as delivery_figures
from app.services.errors import NotFound
from app.web.downloads import send_private


class OutcomeBody(Body, total=False):
    """The outcome, whole: a PUT records it or replaces (corrects) it."""

    __pydantic_config__ = body_config("result")

    result: Annotated[one_of("won", "lost", "withdrawn"), field("What became of the bid.")]
    amount_awarded_pence: Annotated[int | None, field("Won: the amount awarded, in pence.", minimum=1)]
    award_date: Annotated[Day | None, field("Won: the date of the award.")]
    grant_reference: Annotated[Text | None, field("Won: the funder's reference for the grant.", max_length=100)]
    conditions: Annotated[Text | None, field("Won: the conditions of the award.", max_length=outcomes.MAX_TEXT)]
    spend_by: Annotated[Day | None, field("Won: the money must be spent by this date.")]
    grants_due_by: Annotated[Day | None, field("Won: members with no grants by this date are reminded once.")]
    reason: Annotated[Text | None, field("Lost or withdrawn: why.", max_length=outcomes.MAX_TEXT)]
    feedback: Annotated[Text | None, field("Lost: the funder's feedback.", max_length=outcomes.MAX_TEXT)]


def _bid_body(bid: Bid) -> dict[str, Any]:
    user = caller()
    convenor = access.is_bid_convenor(user, bid)
    body = s.bid(bid, disclosure.totals_for(user, bid), amounts_visible=convenor or bid.show_amounts)
    return {**body, "outcome": None}


@bp.post(f"/bids/<{ID}:bid_id>/submit")
@describe(
    "submitBid",
    "Mark a closed bid submitted to the funder (convenors). Unmet scheme thresholds come back as `warnings`.",
    tag="bids",
    body=Empty,
    body_required=False,
    replies={200: reply(dr.SubmittedBid, "The submitted bid, with any warnings.", etag=True)},
    errors=(403, 404, 409),
)
def submit_bid(bid_id: int):
    bid = convenor_bid(bid_id)
    read_body()
    warnings = outcomes.submit_bid(caller(), bid)
    db.session.flush()
    return ok({**_bid_body(bid), "warnings": warnings}, etag=bid.version)


@bp.get(f"/bids/<{ID}:bid_id>/outcome")
@describe(
    "getOutcome",
    "The bid's recorded outcome.",
    tag="delivery",
    replies={200: reply(dr.Outcome, "The outcome.", etag=True)},
    errors=(404,),
)
def get_outcome(bid_id: int):
    outcome = outcomes.outcome_of(viewable_bid(bid_id))
    if outcome is None:
        raise NotFound("No outcome has been recorded for this bid.")
    return ok(s.outcome(outcome), etag=outcome.version)


@bp.put(f"/bids/<{ID}:bid_id>/outcome")
@describe(
    "putOutcome",
    "Record the outcome of a submitted bid, or correct it (convenors). Members are emailed; lost or withdrawn "
    "releases the pledges; won opens delivery. If-Match makes a stale correction a 409.",
    tag="delivery",
    body=OutcomeBody,
    replies={200: reply(dr.Outcome, "The outcome as recorded.", etag=True)},
    errors=(403, 404, 409),
    headers=("if_match",),
)
def put_outcome(bid_id: int):
    bid = convenor_bid(bid_id)
    expected = if_match()
    values = read_body()
    outcome = outcomes.record_outcome(caller(), bid, values, expected_version=expected)
    db.session.flush()
    return ok(s.outcome(outcome), etag=outcome.version, location=url_for("api.get_outcome", bid_id=bid.id))


@bp.get(f"/bids/<{ID}:bid_id>/delivery")
@describe(
    "getDelivery",
    "A won bid's delivery figures: granted against pledged in total, per member (a member sees its own row), "
    "by region, local authority and month.",
    tag="delivery",
    replies={200: reply(dr.Delivery, "The figures.")},
    errors=(404,),
)
def get_delivery(bid_id: int):
    bid = viewable_bid(bid_id)
    if not bid.in_delivery:
        raise NotFound("Only a won bid has a delivery phase.")
    return ok(delivery_figures.summary(caller(), bid))


def _export(bid_id: int, form: str):
    bid = convenor_bid(bid_id)
    result = giving360.export(caller(), bid, now=clock.now())
    name = f"bid-{bid.id}-360giving-{clock.now():%Y%m%d}.{form}"
    return send_private(giving360.render(result, form), name, form)


EXPORT = {
    "tag": "delivery",
    "replies": {200: FILE},
    "errors": (403, 404, 409),
}


@bp.get(f"/bids/<{ID}:bid_id>/360giving.json")
@describe("get360GivingJson", "The grants as a 360Giving JSON package (convenors); 422 lists failing grants.", **EXPORT)
def export_json(bid_id: int):
    return _export(bid_id, "json")


@bp.get(f"/bids/<{ID}:bid_id>/360giving.csv")
@describe("get360GivingCsv", "The grants as 360Giving CSV (convenors); 422 lists failing grants.", **EXPORT)
def export_csv(bid_id: int):
    return _export(bid_id, "csv")


@bp.get(f"/bids/<{ID}:bid_id>/360giving.xlsx")
@describe("get360GivingXlsx", "The grants as 360Giving XLSX (convenors); 422 lists failing grants.", **EXPORT)
def export_xlsx(bid_id: int):
    return _export(bid_id, "xlsx")
