"""Schemathesis checks the implementation against its OpenAPI description: no 5xx, every response as described."""

from __future__ import annotations

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


SETTINGS = settings(
    max_examples=6,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("who", ["convenor", "member"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_matches_its_description(app, world, who, mode):
    """Every operation, with generated data, as a convenor and as a member. Real ids go in the path so that
    requests reach the resources rather than stopping at 404."""
    ids = {"bid_id": world.bid_id, "pledge_id": world.pledge_id}
    headers = {"Authorization": f"Bearer {getattr(world, who)}"}
    operations = _operations(app)
    assert len(operations) == 18
    for operation in operations:
        names = {p.name for p in operation.path_parameters}
        strategy = operation.as_strategy(mode, path_parameters={k: v for k, v in ids.items() if k in names})

        @given(case=strategy)
        @SETTINGS
        def check(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()
