"""The body models on their own: text a database cannot store is refused naming the field, in every body."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import TypeAdapter

from app.api.errors import ApiProblem
from app.api.fields import Body, SchemaGenerator, Text
from app.api.openapi import api_operations
from app.api.validation import adapter, check
from app.extensions import db
from app.models import Bid, Invitation, Pledge
from app.text import NOT_UNICODE

LONE = "\ud800x"  # JSON can carry "\ud800x"; UTF-8, and so every database column, cannot
SURROGATE_MESSAGE = NOT_UNICODE  # the same answer as the request edge's check (app.text.not_unicode)


def _bodies(app) -> list[type]:
    """Every body model an operation declares."""
    return sorted({op.body for *_, op in api_operations(app) if op.body}, key=lambda m: m.__name__)


def _text_fields(schema: dict[str, Any], defs: dict[str, Any], prefix: str = "") -> list[tuple[dict, str]]:
    """(a body putting LONE into one text value, the name the API gives that value) for each text value."""
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    found = []
    for name, prop in schema.get("properties", {}).items():
        key = f"{prefix}{name}"
        prop = next((p for p in prop.get("anyOf", ()) if p.get("type") != "null"), prop)  # a nullable value
        types = prop.get("type")
        if "$ref" in prop:
            found += [({name: body}, k) for body, k in _text_fields(prop, defs, f"{key}.")]
        elif types == "string" or (isinstance(types, list) and "string" in types):
            found.append(({name: LONE}, key))  # text, a choice, or a date and time
        elif types == "array":
            items = prop["items"]
            if "$ref" in items:
                found += [({name: [body]}, k) for body, k in _text_fields(items, defs, f"{key}[0].")]
            elif items.get("type") == "string":
                found.append(({name: [LONE]}, f"{key}[0]"))
    return found


def test_every_text_value_of_every_body_refuses_a_lone_surrogate(app):
    checked = 0
    for model in _bodies(app):
        schema = TypeAdapter(model).json_schema(schema_generator=SchemaGenerator)
        for body, key in _text_fields(schema, schema.get("$defs", {})):
            with pytest.raises(ApiProblem) as refused:
                check(model, body)
            assert refused.value.status == 422
            assert refused.value.errors[key] == [SURROGATE_MESSAGE], (model.__name__, key)
            checked += 1
    assert checked >= 20  # the pledge, bid, invitation and acceptance bodies' text values


def test_keys_and_values_that_are_not_unicode_are_named_by_the_models_alone(app):
    """check() without the request edge's scan: the same answer, the bad key named escaped."""
    from app.api.invitations import InviteBody
    from app.api.pledges import PledgeBody

    with pytest.raises(ApiProblem) as refused:
        check(PledgeBody, {"\ud800bad": 1, "regions": ["NW", "\udc00"], "colour": "blue"})
    assert refused.value.errors == {"\\ud800bad": [NOT_UNICODE], "regions[1]": [NOT_UNICODE]}
    with pytest.raises(ApiProblem) as refused:
        check(InviteBody, {"invitations": [{"organisation_name": "A", "email": "\ud800x"}, {"\udfff": 1}]})
    assert refused.value.errors == {"invitations[0].email": [NOT_UNICODE], "invitations[1].\\udfff": [NOT_UNICODE]}


def test_the_api_refuses_a_lone_surrogate_naming_the_field_and_saves_nothing(api, world, committed):
    good = {"amount_pence": 100_000, "homes": 10, "regions": ["NW"], "status": "confirmed", "accept_terms": True}
    response = api.put(f"/bids/{world.bid_id}/pledge", world.waiting, json={**good, "statement": LONE})
    assert response.status_code == 422, response.text
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"] == {"statement": [SURROGATE_MESSAGE]}
    assert committed(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(Pledge))) == 1


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/bids", {"title": LONE}, "title"),
        (
            "/bids/{bid}/invitations",
            {"invitations": [{"organisation_name": "A", "email": LONE}]},
            "invitations[0].email",
        ),
        ("/bids/{bid}/pledge", {"regions": [LONE]}, "regions[0]"),
    ],
)
def test_lone_surrogates_in_nested_values_are_named(api, world, committed, path, body, field):
    token = world.waiting if path.endswith("pledge") else world.convenor
    method = api.put if path.endswith("pledge") else api.post
    response = method(path.format(bid=world.bid_id), token, json=body)
    assert response.status_code == 422, response.text
    assert response.json["errors"][field] == [SURROGATE_MESSAGE]
    counts = [sa.select(sa.func.count()).select_from(t) for t in (Bid, Invitation, Pledge)]
    assert committed(lambda: [db.session.scalar(c) for c in counts]) == [2, 2, 1]


def test_the_raw_escape_is_what_arrives(api, world):
    """The body on the wire holds the escape itself (a client cannot send the bare code point as UTF-8)."""
    raw = '{"organisation_name_x": 1, "title": "\\ud800x"}'
    response = api.client.post(
        "/api/v1/bids",
        data=raw,
        headers={"Authorization": f"Bearer {world.convenor}", "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"title": [SURROGATE_MESSAGE]}  # the edge names text before anything else


def test_a_surrogate_pair_is_accepted(api, world):
    raw = '{"title": "Homes \\ud83c\\udfe0"}'
    response = api.client.patch(
        f"/api/v1/bids/{world.bid_id}",
        data=raw,
        headers={"Authorization": f"Bearer {world.convenor}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json["title"] == "Homes \U0001f3e0"


def test_a_body_declared_without_total_false_is_refused_at_once():
    """Pydantic would require its keys with a message of its own, before the service could say what to enter."""

    class Careless(Body):
        name: Text

    with pytest.raises(TypeError, match="Careless must be declared with total=False"):
        adapter(Careless)
