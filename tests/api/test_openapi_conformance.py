"""Schemathesis checks the implementation against its OpenAPI description: no 5xx, every response as described."""

from __future__ import annotations

import os
import re

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import create_app
from app.api.openapi import UndescribedRoute, api_operations, spec
from app.extensions import db
from config import TestConfig

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


#: Small and derandomised by default so that the suite is quick and repeatable; set API_FUZZ_EXAMPLES
#: (e.g. 200) to explore further with fresh random data.
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "0"))
SETTINGS = settings(
    max_examples=EXAMPLES or 6,
    derandomize=not EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


#: Described and routed (the test below checks that) but not fuzzed: streamBidEvents is text/event-stream,
#: not JSON. Its response is a stream that runs until its lifetime ends, so there is no body to check against
#: a schema and every example would wait out SSE_MAX_SECONDS; tests/api/test_packs_and_events.py checks it.
#: (generatePack is fuzzed: the world's bid has one pledge and no letters, so a pack takes a fraction of a second.)
NOT_FUZZED = {"streamBidEvents"}


@pytest.fixture
def programme_id(world, committed):
    """An impact returns programme of the world's convening body, its bid's organisations taking part."""

    def build():
        from app.models import Bid, Invitation
        from app.services import directory_members
        from app.services.returns import programmes
        from tests.returns.support import MEASURES

        bid = db.session.get(Bid, world.bid_id)
        convenor = bid.created_by
        for invitation in db.session.scalars(sa.select(Invitation).where(Invitation.bid_id == bid.id)):
            if invitation.accepted_by is not None:  # the world's invitations are made without the directory
                directory_members.note_accepted(invitation, invitation.accepted_by)
        orgs = [o.id for o in programmes.candidate_organisations(convenor.organisation_id)]
        made = programmes.create_programme(
            convenor, {"title": "Monthly measures", "measures": MEASURES, "first_period": "2026-09"}, orgs
        )
        db.session.flush()
        return made.id

    return committed(build)


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("who", ["convenor", "member", "anonymous"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_matches_its_description(app, world, programme_id, who, mode):
    """Every operation, with generated data, as a convenor, as a member and without a token.

    Real ids go in the path so that requests reach the resources rather than stopping at 404."""
    # grant_id: the world's bid is open, so it has no grants and every grant operation answers 404 or 409 for it;
    # a fixed id keeps Werkzeug from answering 405 to an id beyond the converter's maximum on a route that
    # other methods share (it matches the path's shape before it checks the number).
    ids = {
        "bid_id": world.bid_id,
        "pledge_id": world.pledge_id,
        "organisation_id": world.member_org_id,
        "grant_id": 1,
        "programme_id": programme_id,
        "period": "2026-09",
    }
    headers = {} if who == "anonymous" else {"Authorization": f"Bearer {getattr(world, who)}"}
    operations = _operations(app)
    # Every declared operation is fuzzed, except getOpenApi: Schemathesis makes no cases for the operation that
    # serves the document it loaded.
    declared = {op.operation_id for *_, op in api_operations(app)}
    assert {o.definition.raw["operationId"] for o in operations} == declared - {"getOpenApi"}
    for operation in operations:
        if operation.definition.raw["operationId"] in NOT_FUZZED:
            continue
        names = {p.name for p in operation.path_parameters}
        strategy = operation.as_strategy(mode, path_parameters={k: v for k, v in ids.items() if k in names})

        @given(case=strategy)
        @SETTINGS
        def check(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()


def test_every_route_is_described_and_every_description_is_a_route(app):
    """Every /api/v1 route has a @describe declaration, and the description lists the URL map's operations,
    method for method, each with its own operationId."""
    routes, undescribed = set(), []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            if not hasattr(app.view_functions[rule.endpoint], "api_operation"):
                undescribed.append(rule.endpoint)
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            routes |= {(m.lower(), path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert undescribed == []
    described = {(method, path) for path, item in spec(app)["paths"].items() for method in item}
    assert described == routes
    ids = [operation["operationId"] for item in spec(app)["paths"].values() for operation in item.values()]
    assert len(ids) == len(set(ids))


def test_an_undescribed_route_is_named(app):
    """A route added without a declaration stops the description from being built, naming the route."""
    fresh = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    fresh.add_url_rule("/api/v1/toys", endpoint="api.toys", view_func=lambda: "")
    with pytest.raises(UndescribedRoute, match=r"api\.toys \(/api/v1/toys\)"):
        api_operations(fresh)


def test_every_operation_documents_its_errors_as_problems(app):
    for path, item in spec(app)["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert {"422", "429"} <= codes, (method, path)
            if operation.get("security") != []:
                assert "401" in codes, (method, path)
            if "requestBody" in operation:
                assert {"400", "413"} <= codes, (method, path)
            for code, response in operation["responses"].items():
                if code.startswith("4"):
                    assert "application/problem+json" in response["content"], (method, path, code)
