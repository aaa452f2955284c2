"""The after-the-bid API: who may call what, submit with warnings, the outcome, grants with If-Match, the
delivery figures and the 360Giving downloads."""

from __future__ import annotations

import csv
import io
import json
from types import SimpleNamespace

import pytest

from app.extensions import db
from app.models import BidStatus
from tests import factories as f
from tests.api.conftest import token_for
from tests.delivery.helpers import grant_by, won_bid

GRANT_BODY = {
    "recipient": {"name": "Moss Side Sports Club", "company_number": "01234567"},
    "amount_pence": 250_000,
    "award_date": "2027-02-01",
    "title": "Kit for the under-12s",
    "description": "Football kit and coaching.",
    "location": {"name": "Manchester", "gss_code": "E08000003", "region": "NW"},
    "funder_pence": 50_000,
}


@pytest.fixture
def won(committed):
    def build():
        bid, (a, b) = won_bid(2)
        grant = grant_by(a, bid)
        closed = f.BidFactory(status=BidStatus.CLOSED, min_members=9)
        other = f.BidFactory()
        db.session.flush()
        return SimpleNamespace(
            bid_id=bid.id,
            grant_id=grant.id,
            closed_id=closed.id,
            convenor=token_for(bid.created_by),
            member_a=token_for(a),
            member_b=token_for(b),
            outsider=token_for(f.UserFactory()),
            other_convenor=token_for(other.created_by),
            closed_convenor=token_for(closed.created_by),
        )

    return committed(build)


WHO = ("convenor", "member_a", "member_b", "outsider", "other_convenor")


def _expect(**given):
    return {who: given.get(who, 404) for who in WHO}


#: (method, path, body, expected status per caller). Members never see another organisation's grant (404).
MATRIX = [
    ("GET", "/bids/{bid}/outcome", None, _expect(convenor=200, member_a=200, member_b=200)),
    (
        "PUT",
        "/bids/{bid}/outcome",
        {"result": "won", "amount_awarded_pence": 1, "award_date": "2026-12-01"},
        _expect(convenor=200, member_a=403, member_b=403),
    ),
    ("POST", "/bids/{bid}/submit", None, _expect(convenor=409, member_a=403, member_b=403)),
    ("GET", "/bids/{bid}/delivery", None, _expect(convenor=200, member_a=200, member_b=200)),
    ("GET", "/bids/{bid}/grants", None, _expect(convenor=200, member_a=200, member_b=200)),
    ("POST", "/bids/{bid}/grants", GRANT_BODY, _expect(convenor=403, member_a=201, member_b=201)),
    (
        "POST",
        "/bids/{bid}/grants/import",
        {"csv": "Recipient,Amount,Award date,Title,Description\nA,5000,2027-01-01,T,D"},
        _expect(convenor=403, member_a=201, member_b=201),
    ),
    ("GET", "/bids/{bid}/grants/{grant}", None, _expect(convenor=200, member_a=200)),
    ("PATCH", "/bids/{bid}/grants/{grant}", {"title": "New title"}, _expect(convenor=403, member_a=200)),
    ("DELETE", "/bids/{bid}/grants/{grant}", None, _expect(convenor=403, member_a=200)),
    ("GET", "/bids/{bid}/360giving.json", None, _expect(convenor=200, member_a=403, member_b=403)),
    ("GET", "/bids/{bid}/360giving.csv", None, _expect(convenor=200, member_a=403, member_b=403)),
    ("GET", "/bids/{bid}/360giving.xlsx", None, _expect(convenor=200, member_a=403, member_b=403)),
]


@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX, ids=[f"{m} {p}" for m, p, *_ in MATRIX])
@pytest.mark.parametrize("who", WHO)
def test_permission_matrix(api, won, method, path, body, expected, who):
    url = path.format(bid=won.bid_id, grant=won.grant_id)
    response = api.call(method, url, getattr(won, who), json=body)
    assert response.status_code == expected[who], response.text[:300]
    assert api.call(method, url, None, json=body).status_code == 401


def test_submit_marks_submitted_with_unmet_thresholds_as_warnings(api, won):
    response = api.post(f"/bids/{won.closed_id}/submit", won.closed_convenor)
    assert response.status_code == 200
    assert response.json["status"] == "submitted"
    assert response.json["warnings"] == ["Minimum number of member organisations: 9 required, 0 pledged."]


def test_outcome_put_with_a_stale_if_match_is_a_conflict_and_bad_values_422(api, won):
    url = f"/bids/{won.bid_id}/outcome"
    assert api.get(url, won.convenor).headers["ETag"] == '"1"'
    bad = api.put(
        url, won.convenor, json={"result": "won", "amount_awarded_pence": "5,000", "award_date": "02/11/2020"}
    )
    assert bad.status_code == 422
    assert set(bad.json["errors"]) == {"amount_awarded_pence", "award_date"}
    stale = api.put(url, won.convenor, json={"result": "lost"}, headers={"If-Match": '"7"'})
    assert stale.status_code == 409 and stale.json["current"]["result"] == "won"
    lost = api.put(url, won.convenor, json={"result": "lost", "reason": "Late"}, headers={"If-Match": '"1"'})
    assert lost.status_code == 200 and lost.json["result"] == "lost" and lost.json["version"] == 2
    bid = api.get(f"/bids/{won.bid_id}", won.member_a).json
    assert bid["status"] == "lost" and bid["outcome"]["reason"] == "Late" and bid["outcome"]["version"] == 2
    pledge = api.get(f"/bids/{won.bid_id}/pledge", won.member_a).json
    assert pledge["released_at"] is not None and pledge["amount_pence"] == 25_000_000
    assert api.get(f"/bids/{won.bid_id}/grants", won.member_a).status_code == 404  # no delivery once lost


def test_grants_create_patch_and_delete_with_if_match(api, won):
    created = api.post(f"/bids/{won.bid_id}/grants", won.member_b, json=GRANT_BODY)
    assert created.status_code == 201, created.text
    grant = created.json
    assert grant["recipient"]["company_number"] == "01234567"
    assert grant["recipient"]["org_id"] == "GB-COH-01234567"
    assert (grant["funder_pence"], grant["match_pence"]) == (50_000, 200_000)
    assert grant["location"]["gss_type"] == "LAD"
    url = f"/bids/{won.bid_id}/grants/{grant['id']}"
    assert api.patch(url, won.member_b, json={"title": "x"}, headers={"If-Match": '"9"'}).status_code == 409
    patched = api.patch(url, won.member_b, json={"amount_pence": 300_000}, headers={"If-Match": '"1"'})
    assert patched.status_code == 200 and patched.json["match_pence"] == 250_000 and patched.headers["ETag"] == '"2"'
    assert api.delete(url, won.member_b, headers={"If-Match": '"1"'}).status_code == 409
    assert api.delete(url, won.member_b, headers={"If-Match": '"2"'}).status_code == 200
    assert api.get(url, won.member_b).status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"recipient": {}}, "recipient.name"),
        ({"amount_pence": "5,000"}, "amount_pence"),
        ({"award_date": "02/11/2020"}, "award_date"),
        ({"location": {"name": "Somewhere", "gss_code": "E10000002"}}, "location.gss_code"),
        ({"recipient": {"name": "A", "company_number": 1234567}}, "recipient.company_number"),
        ({"description": "Write to jo@example.org"}, "description"),
    ],
)
def test_bad_grant_values_are_422_naming_the_field_and_nothing_is_saved(api, won, change, field):
    response = api.post(f"/bids/{won.bid_id}/grants", won.member_b, json={**GRANT_BODY, **change})
    assert response.status_code == 422
    assert field in response.json["errors"], response.json
    assert api.get(f"/bids/{won.bid_id}/grants", won.member_b).json["total"] == 0


def test_delivery_figures_for_a_member_hold_only_its_row(api, won):
    api.post(f"/bids/{won.bid_id}/grants", won.member_b, json=GRANT_BODY)
    member = api.get(f"/bids/{won.bid_id}/delivery", won.member_b).json
    assert member["totals"]["granted_pence"] == 750_000 and member["totals"]["grants"] == 2
    assert [m["organisation"]["name"] for m in member["members"]] == ["Delivery Homes 2"]
    assert "possible_duplicates" not in member
    convenor = api.get(f"/bids/{won.bid_id}/delivery", won.convenor).json
    assert len(convenor["members"]) == 2 and convenor["totals"]["pledged_pence"] == 50_000_000


def test_the_downloads_agree_and_keep_their_ids(api, won):
    first = json.loads(api.get(f"/bids/{won.bid_id}/360giving.json", won.convenor).data)
    again = json.loads(api.get(f"/bids/{won.bid_id}/360giving.json", won.convenor).data)
    rows = list(csv.DictReader(io.StringIO(api.get(f"/bids/{won.bid_id}/360giving.csv", won.convenor).data.decode())))
    assert [g["id"] for g in first["grants"]] == [g["id"] for g in again["grants"]] == [r["Identifier"] for r in rows]
    refused = api.patch(f"/bids/{won.bid_id}/grants/{won.grant_id}", won.member_a, json={"title": "x@y.org"})
    assert refused.status_code == 422  # an email address never gets in through the API either


def test_import_through_the_api_reports_bad_lines_and_saves_nothing(api, won):
    table = "Recipient,Amount,Award date,Title,Description\nA,5000,2027-01-01,T,D\nB,5,000,02/11/2020,T,D"
    refused = api.post(f"/bids/{won.bid_id}/grants/import", won.member_b, json={"csv": table})
    assert refused.status_code == 422 and "line 3" in refused.json["errors"], refused.json
    assert api.get(f"/bids/{won.bid_id}/grants", won.member_b).json["total"] == 0
    both = api.post(f"/bids/{won.bid_id}/grants/import", won.member_b, json={"csv": "x", "xlsx_base64": "eA=="})
    assert both.status_code == 422 and "csv" in both.json["errors"]
    not_base64 = api.post(f"/bids/{won.bid_id}/grants/import", won.member_b, json={"xlsx_base64": "***"})
    assert not_base64.status_code == 422 and "xlsx_base64" in not_base64.json["errors"]
    good = api.post(f"/bids/{won.bid_id}/grants/import", won.member_b, json={"csv": table.rsplit("\n", 1)[0]})
    assert good.status_code == 201 and good.json["imported"] == 1
