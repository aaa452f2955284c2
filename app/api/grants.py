"""Grants in a won bid's delivery: a member's own (the convenors read all), record, read, edit, delete."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from flask import url_for

from app.api import delivery_responses as dr
from app.api import serializers as s
from app.api.auth import caller
from app.api.blueprint import bp
from app.api.fields import Body, Day, Region, Text, body_config, field
from app.api.helpers import ID, if_match, ok, viewable_bid
from app.api.operations import describe, reply
from app.api.validation import page_args as pagination
from app.api.validation import read_body
from app.extensions import db
from app.models import Bid, Grant
from app.services import grant_import, grants
from app.services.errors import NotFound, ValidationFailed
from app.services.grant_values import MAX_DESCRIPTION, gss_type, recipient_org_id


class RecipientBody(Body, total=False):
    """Who received the grant: none of the numbers is required (small groups are often unregistered)."""

    __pydantic_config__ = body_config("name")

    name: Annotated[Text, field("The recipient organisation's name.", max_length=200)]
    charity_number: Annotated[Text | None, field("Its charity number, e.g. 1234567 or SC012345.", max_length=20)]
    company_number: Annotated[Text | None, field("Its company number, leading zeros kept.", max_length=20)]
    identifier: Annotated[Text | None, field("Another org-id it has, e.g. GB-MPR-12345R.", max_length=60)]


class LocationBody(Body, total=False):
    """Where the people who benefit are."""

    name: Annotated[Text | None, field("The local authority's name.", max_length=200)]
    gss_code: Annotated[Text | None, field("Its ONS GSS code, e.g. E08000003.", max_length=9)]
    region: Annotated[Region | None, field("The ITL1 region's code.")]


class GrantBody(Body, total=False):
    """A grant: POST sends it whole, PATCH only what changes (a nested object is replaced whole)."""

    __pydantic_config__ = body_config("recipient", "amount_pence", "award_date", "title", "description")

    recipient: RecipientBody
    amount_pence: Annotated[int, field("The amount granted, in pence.", minimum=1)]
    award_date: Annotated[Day, field("The date of the award.")]
    title: Annotated[Text, field("The grant's title.", max_length=200)]
    description: Annotated[
        Text, field("What the grant is for (published: no personal details).", max_length=MAX_DESCRIPTION)
    ]
    planned_start: Annotated[Day | None, field("When the funded work is planned to start.")]
    planned_end: Annotated[Day | None, field("When it is planned to end.")]
    location: LocationBody
    funder_pence: Annotated[int | None, field("Of the amount: the funder's money passed through.", minimum=0)]
    match_pence: Annotated[int | None, field("Of the amount: the member's own match funding.", minimum=0)]


#: The API's field names → the service's.
FLAT = {
    ("recipient", "name"): "recipient_name",
    ("recipient", "charity_number"): "recipient_charity_number",
    ("recipient", "company_number"): "recipient_company_number",
    ("recipient", "identifier"): "recipient_identifier",
    ("location", "name"): "location_name",
    ("location", "gss_code"): "location_gss",
    ("location", "region"): "region",
}
NESTED = {flat: f"{outer}.{inner}" for (outer, inner), flat in FLAT.items()}


def _flatten(body: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in body.items() if k not in ("recipient", "location")}
    for outer in ("recipient", "location"):
        if outer in body:
            for (group, inner), flat in FLAT.items():
                if group == outer:
                    values[flat] = body[outer].get(inner)
    return values


def _call(operation):
    """Run a grant service call, naming fields in its messages as the API does (``recipient.name``)."""
    try:
        return operation()
    except ValidationFailed as exc:
        raise ValidationFailed({NESTED.get(k, k): v for k, v in exc.errors.items()}, exc.message) from None


def grant_json(g: Grant) -> dict[str, Any]:
    return {
        "id": g.id,
        "bid_id": g.bid_id,
        "organisation": {"id": g.organisation_id, "name": g.organisation.name},
        "reference": g.reference,
        "recipient": {
            "name": g.recipient_name,
            "charity_number": g.recipient_charity_number,
            "company_number": g.recipient_company_number,
            "identifier": g.recipient_identifier,
            "org_id": recipient_org_id(g.recipient_identifier, g.recipient_charity_number, g.recipient_company_number),
        },
        "amount_pence": g.amount_pence,
        "amount": s.money(g.amount_pence),
        "funder_pence": g.funder_pence,
        "match_pence": g.match_pence,
        "award_date": g.award_date.isoformat(),
        "title": g.title,
        "description": g.description,
        "planned_start": g.planned_start.isoformat() if g.planned_start else None,
        "planned_end": g.planned_end.isoformat() if g.planned_end else None,
        "location": {
            "name": g.location_name,
            "gss_code": g.location_gss,
            "gss_type": gss_type(g.location_gss),
            "region": g.region,
        },
        "version": g.version,
        "created_at": s.when(g.created_at),
        "updated_at": s.when(g.updated_at),
    }


def _delivery_bid(bid_id: int) -> Bid:
    bid = viewable_bid(bid_id)
    if not bid.in_delivery:
        raise NotFound("Only a won bid has grants.")
    return bid


GRANT_REPLY = {200: reply(dr.Grant, "The grant.", etag=True)}


class ImportBody(Body, total=False):
    """A table of grants with a header row: CSV text, or an XLSX workbook in base64."""

    csv: Annotated[Text, field("The table as CSV (or tab or semicolon separated) text.", max_length=10_000_000)]
    xlsx_base64: Annotated[Text, field("Or: the XLSX workbook, base64-encoded.", max_length=14_000_000)]


@bp.post(f"/bids/<{ID}:bid_id>/grants/import")
@describe(
    "importGrants",
    "Record many grants of the caller's organisation from a table (members): every row is checked first, and "
    "nothing is saved unless every row passes (422 lists each bad row by line).",
    tag="delivery",
    body=ImportBody,
    replies={201: reply(dr.ImportResult, "The grants recorded.")},
    errors=(403, 404, 409),
)
def import_grants(bid_id: int):
    bid = _delivery_bid(bid_id)
    body = read_body()
    if ("csv" in body) == ("xlsx_base64" in body):
        raise ValidationFailed({"csv": ["Send the table as csv text or as xlsx_base64, one of the two."]})
    if "csv" in body:
        data, name = body["csv"], None
    else:
        try:
            data, name = base64.b64decode(body["xlsx_base64"], validate=True), "grants.xlsx"
        except (binascii.Error, ValueError):
            raise ValidationFailed({"xlsx_base64": ["This is not base64 text."]}) from None
    made = grant_import.import_grants(caller(), bid, data, filename=name)
    db.session.flush()
    return ok({"imported": len(made), "grants": [grant_json(g) for g in made]}, 201)


@bp.get(f"/bids/<{ID}:bid_id>/grants")
@describe(
    "listGrants",
    "The grants the caller may see: its organisation's own (members), or every member's (convenors).",
    tag="delivery",
    replies={200: reply(dr.GrantPage, "A page of grants.")},
    errors=(404,),
    paged=True,
)
def list_grants(bid_id: int):
    bid = _delivery_bid(bid_id)
    page, per_page = pagination()
    rows = grants.list_grants(caller(), bid)
    items = [grant_json(g) for g in s.slice_page(rows, page, per_page)]
    return ok(s.page(items, page=page, per_page=per_page, total=len(rows)))


@bp.post(f"/bids/<{ID}:bid_id>/grants")
@describe(
    "createGrant",
    "Record a grant the caller's organisation made (members).",
    tag="delivery",
    body=GrantBody,
    replies={201: reply(dr.Grant, "The new grant.", etag=True, location=True)},
    errors=(403, 404, 409),
)
def create_grant(bid_id: int):
    bid = _delivery_bid(bid_id)
    values = _flatten(read_body())
    grant = _call(lambda: grants.create_grant(caller(), bid, values))
    db.session.flush()
    location = url_for("api.get_grant", bid_id=bid.id, grant_id=grant.id)
    return ok(grant_json(grant), 201, etag=grant.version, location=location)


@bp.get(f"/bids/<{ID}:bid_id>/grants/<{ID}:grant_id>")
@describe(
    "getGrant", "One grant (another organisation's is not found).", tag="delivery", replies=GRANT_REPLY, errors=(404,)
)
def get_grant(bid_id: int, grant_id: int):
    bid = _delivery_bid(bid_id)
    grant = grants.get_grant(caller(), bid, grant_id)
    return ok(grant_json(grant), etag=grant.version)


@bp.patch(f"/bids/<{ID}:bid_id>/grants/<{ID}:grant_id>")
@describe(
    "updateGrant",
    "Change a grant of the caller's organisation until delivery closes. If-Match makes a stale edit a 409.",
    tag="delivery",
    body=GrantBody,
    replies=GRANT_REPLY,
    errors=(403, 404, 409),
    headers=("if_match",),
)
def update_grant(bid_id: int, grant_id: int):
    bid = _delivery_bid(bid_id)
    grant = grants.get_grant(caller(), bid, grant_id)
    expected = if_match()
    values = _flatten(read_body())
    _call(lambda: grants.update_grant(caller(), bid, grant, values, expected_version=expected))
    db.session.flush()
    return ok(grant_json(grant), etag=grant.version)


@bp.delete(f"/bids/<{ID}:bid_id>/grants/<{ID}:grant_id>")
@describe(
    "deleteGrant",
    "Delete a grant of the caller's organisation until delivery closes. If-Match makes a stale delete a 409.",
    tag="delivery",
    replies={200: reply(dr.Grant, "The grant as it was before it was deleted.")},
    errors=(403, 404, 409),
    headers=("if_match",),
)
def delete_grant(bid_id: int, grant_id: int):
    bid = _delivery_bid(bid_id)
    grant = grants.get_grant(caller(), bid, grant_id)
    body = grant_json(grant)
    grants.delete_grant(caller(), bid, grant, expected_version=if_match())
    return ok(body)
