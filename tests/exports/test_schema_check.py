"""The compiled schema check says valid exactly when jsonschema does: on the 360Giving grant schema, with every
field of a grant broken in every way we could think of, and on small schemas keyword by keyword."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from app.exports.schema_check import SchemaNotSupported, compile_schema
from app.services import giving360

GRANT: dict[str, Any] = {
    "id": "360G-GB-CHC-1234567-ab12cd34ef56",
    "title": "Ancoats community garden",
    "description": "Raised beds and a tool shed.",
    "currency": "GBP",
    "amountAwarded": 5000.5,
    "awardDate": "2027-01-04",
    "plannedDates": [{"startDate": "2027-02-01", "endDate": "2028-01-31"}],
    "recipientOrganization": [
        {"id": "GB-CHC-0123456", "name": "Ancoats Garden", "charityNumber": "0123456", "companyNumber": "01234567"}
    ],
    "fundingOrganization": [{"id": "GB-COH-01234567", "name": "Alpha Homes"}],
    "grantProgramme": [{"code": "X-BID-1", "title": "Community fund"}],
    "beneficiaryLocation": [{"name": "Manchester", "countryCode": "GB", "geoCode": "E08000003", "geoCodeType": "LAD"}],
    "dateModified": "2027-01-04T10:00:00+00:00",
    "dataSource": "https://example.org/bids/1/delivery",
}
#: Values each field is replaced by in turn.
BAD_VALUES: list[Any] = [None, True, False, 0, 1, -1, 1.5, "", " ", "x", "5,000", "02/11/2020", [], {}, [{}], ["x"]]
#: Text shapes worth trying in the patterned fields.
TEXTS = [
    "360G-x", "360G-", "360G-a b", "GB-CHC-123456", "GB-CHC-12345", "GB-CHC-1234567-1", "GB-SC-SC012345",
    "GB-NIC-100001", "GB-COH-1234567", "GB-COH-SC123456", "GB-MPR-12345R", "GB-SHPE-ABC", "XX-1", "SC012345",
    "NIC100001", "E08000003", "E12000001", "W92000004", "E10000016", "e08000003", "E0800000", "LAD", "RGN",
    "CTRY", "CTY", "GB", "FR", "2027-13-01", "2027-02-30", "2027-1-1", "2027-01-04T10:00:00Z",
    "2027-01-04T10:00:00", "http://x", "ftp://x", "GBP", "EUR", "Yes", "No", "E08000003\n",
]  # fmt: skip


def _paths(value: Any, path: tuple = ()):
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _variants():
    yield GRANT
    for path in list(_paths(GRANT))[1:]:
        for replacement in [*BAD_VALUES, *TEXTS, "<deleted>"]:
            grant = copy.deepcopy(GRANT)
            parent = grant
            for part in path[:-1]:
                parent = parent[part]
            if replacement == "<deleted>":
                del parent[path[-1]]
            else:
                parent[path[-1]] = replacement
            yield grant
    for path in _paths(GRANT):  # an unknown key in every object
        grant = copy.deepcopy(GRANT)
        target = grant
        for part in path:
            target = target[part]
        if isinstance(target, dict):
            target["regrantType"] = "FRG010"
            yield grant
    for code in TEXTS:  # every code with every code type, and each without the other
        for kind in ("LAD", "RGN", "CTRY", None):
            grant = copy.deepcopy(GRANT)
            place = {"name": "Somewhere", "countryCode": "GB", "geoCode": code}
            if kind:
                place["geoCodeType"] = kind
            grant["beneficiaryLocation"] = [place]
            yield grant
            yield {**grant, "beneficiaryLocation": [{"name": "Somewhere", "geoCodeType": kind or "LAD"}]}


def test_the_compiled_check_agrees_with_jsonschema_on_the_grant_schema():
    whole = giving360.validator()
    fast = compile_schema(giving360.schema())
    variants = list(_variants())
    assert len(variants) > 1_000
    disagree = [v for v in variants if fast(v) != whole.is_valid(v)]
    assert disagree == []
    assert sum(1 for v in variants if whole.is_valid(v)) > 50  # the valid ones are not a handful
    assert sum(1 for v in variants if not whole.is_valid(v)) > 500


SMALL = [
    ({"type": "integer"}, [1, 1.0, 1.5, True, "1", None]),
    ({"type": ["string", "null"]}, ["a", None, 1]),
    ({"type": "number", "exclusiveMinimum": 0}, [0, 0.01, -1, True, "1"]),
    ({"enum": ["a", "b"]}, ["a", "c", 1, None]),
    ({"const": "a"}, ["a", "b"]),
    ({"pattern": "^a+$", "minLength": 2, "maxLength": 3}, ["a", "aa", "aaaa", "aab", 5, "ŵŵ", "aa\n"]),
    ({"minItems": 1, "items": {"type": "string"}}, [[], ["a"], ["a", 1], "not a list"]),
    ({"required": ["a"], "dependentRequired": {"b": ["c"]}},
     [{"a": 1}, {}, {"a": 1, "b": 2}, {"a": 1, "b": 2, "c": 3}]),
    ({"properties": {"a": {"type": "string"}}, "additionalProperties": {"type": "integer"}},
     [{"a": "x", "b": 1}, {"a": 1}, {"b": "x"}, []]),
    ({"not": {"required": ["x"]}}, [{}, {"x": 1}, 5]),
    ({"allOf": [{"minLength": 1}, {"maxLength": 1}]}, ["", "a", "ab"]),
    ({"if": {"const": "a"}, "then": {"minLength": 2}, "else": {"maxLength": 0}}, ["a", "b", ""]),
    ({"then": {"type": "integer"}}, ["a"]),
    ({"$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}}}, "$ref": "#/$defs/node"},
     [{}, {"next": {}}, {"next": {"next": 1}}]),
    (True, [1]),
    (False, [1]),
]  # fmt: skip


@pytest.mark.parametrize(("schema", "instances"), SMALL)
def test_each_keyword_means_what_it_means_to_jsonschema(schema, instances):
    fast, whole = compile_schema(schema), Draft202012Validator(schema)
    assert [fast(i) for i in instances] == [whole.is_valid(i) for i in instances]


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"minimum": 1}, "keywords not supported: minimum"),
        ({"properties": {"a": {"format": "date"}}}, "keywords not supported: format"),
        ({"enum": [1, 2]}, "enum with values other than text"),
        ({"$ref": "https://example.org/other.json"}, "only local references"),
    ],
)
def test_a_keyword_it_does_not_implement_is_refused_not_skipped(schema, message):
    with pytest.raises(SchemaNotSupported, match=message):
        compile_schema(schema)
