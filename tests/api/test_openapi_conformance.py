"""Schemathesis checks the implementation against its OpenAPI description: no 5xx, every response as described."""

from __future__ import annotations

import os

import pytest
import schemathesis
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


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("who", ["convenor", "member", "anonymous"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_matches_its_description(app, world, who, mode):
    """Every operation, with generated data, as a convenor, as a member and without a token.

    Real ids go in the path so that requests reach the resources rather than stopping at 404."""
    ids = {"bid_id": world.bid_id, "pledge_id": world.pledge_id}
    headers = {} if who == "anonymous" else {"Authorization": f"Bearer {getattr(world, who)}"}
    operations = _operations(app)
    assert len(operations) == 25
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
    """The description and the URL map list the same operations, method for method."""
    import re

    from app.api.openapi import spec

    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            routes |= {(m.lower(), path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    described = {(method, path) for path, item in spec()["paths"].items() for method in item}
    assert described == routes


def test_every_operation_documents_its_errors_as_problems(app):
    from app.api.openapi import spec

    for path, item in spec()["paths"].items():
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
