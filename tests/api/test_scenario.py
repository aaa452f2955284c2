"""End to end through the API only: a convenor opens a bid, invites 39 organisations, each accepts with the
token from its email and pledges (some at the same moment, some amending from stale versions), the totals
equal the sum, the deadline passes and a late pledge is refused."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import time_machine

from app.regions import REGIONS
from tests import factories as f
from tests.api.conftest import Api, token_for

LINK = re.compile(r"/invitations/([A-Za-z0-9_.\-]+)")
ORGS = 39
CODES = list(REGIONS)


def pledge_body(n: int, *, amount: int | None = None) -> dict:
    return {
        "amount_pence": amount if amount is not None else 10_000_000 + n * 1_234_567,
        "homes": 1_000 + n * 37,
        "regions": [CODES[n % 12], CODES[(n * 5) % 12]],
        "statement": f"Grants for community groups in our area ({n}).",
        "status": "confirmed" if n % 3 else "indicative",
        "accept_terms": True,
    }


def test_a_bid_from_opening_to_the_deadline(app, api, committed, outbox):
    convenor = committed(lambda: token_for(f.ConvenorFactory()))
    deadline = (datetime.now(UTC) + timedelta(days=14)).replace(microsecond=0)

    created = api.post(
        "/bids",
        convenor,
        json={
            "title": "Community Match Fund 2026",
            "funder_name": "Department for Communities",
            "scheme": "Community Match Fund",
            "summary": "39 landlords, one bid.",
            "terms": "Members commit what they pledge.",
            "target_pence": 625_000_000,
            "target_homes": 1_100_000,
            "deadline": deadline.isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    bid_id = created.json["id"]
    assert api.post(f"/bids/{bid_id}/open", convenor).json["status"] == "open"

    rows = [
        {"organisation_name": f"Landlord {n:02d} Homes", "email": f"lead{n:02d}@landlord{n:02d}.example"}
        for n in range(ORGS)
    ]
    report = api.post(f"/bids/{bid_id}/invitations", convenor, json={"invitations": rows}).json
    assert report["invited"] == ORGS and report["refused"] == 0

    # Each organisation accepts with the token from its own email, as a new account with its profile.
    links = {m.to[0]: LINK.search(m.body).group(1) for m in outbox if "Invitation to pledge" in m.subject}
    assert len(links) == ORGS
    tokens: dict[int, str] = {}
    for n in range(ORGS):
        accepted = api.post(
            "/invitations/accept",
            json={
                "token": links[f"lead{n:02d}@landlord{n:02d}.example"],
                "name": f"Lead {n}",
                "password": f"pledge-password-{n:04d}",
                "organisation": {
                    "name": f"Landlord {n:02d} Homes",
                    "homes_owned": 5_000 + n,
                    "regions": [CODES[n % 12]],
                },
            },
        )
        assert accepted.status_code == 201, accepted.text
        tokens[n] = accepted.json["api_token"]
    totals = api.get(f"/bids/{bid_id}/totals", convenor).json
    assert totals["invited"] == ORGS and totals["accepted"] == ORGS

    expected: dict[int, int] = {}

    # The first twenty pledge at the same moment, each from its own thread and client.
    results: dict[int, int] = {}

    def pledge(n: int) -> None:
        response = Api(app.test_client()).put(f"/bids/{bid_id}/pledge", tokens[n], json=pledge_body(n))
        results[n] = response.status_code

    threads = [threading.Thread(target=pledge, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert results == {n: 201 for n in range(20)}
    expected.update({n: pledge_body(n)["amount_pence"] for n in range(20)})

    # The rest pledge one after another.
    for n in range(20, ORGS):
        assert api.put(f"/bids/{bid_id}/pledge", tokens[n], json=pledge_body(n)).status_code == 201
        expected[n] = pledge_body(n)["amount_pence"]

    # Some amend from a version they read earlier: the first write wins, the stale one is refused.
    for n in range(0, ORGS, 4):
        etag = api.get(f"/bids/{bid_id}/pledge", tokens[n]).headers["ETag"]
        first = api.put(
            f"/bids/{bid_id}/pledge", tokens[n], json=pledge_body(n, amount=20_000_000 + n), headers={"If-Match": etag}
        )
        assert first.status_code == 200
        stale = api.put(
            f"/bids/{bid_id}/pledge", tokens[n], json=pledge_body(n, amount=1_000_000), headers={"If-Match": etag}
        )
        assert stale.status_code == 409 and stale.json["type"] == "/api/v1/problems/stale-version"
        expected[n] = 20_000_000 + n

    # Two amendments of one pledge from the same version at the same moment: exactly one is saved.
    etag = api.get(f"/bids/{bid_id}/pledge", tokens[1]).headers["ETag"]
    racing: list[int] = []

    def amend(amount: int) -> None:
        response = Api(app.test_client()).put(
            f"/bids/{bid_id}/pledge", tokens[1], json=pledge_body(1, amount=amount), headers={"If-Match": etag}
        )
        racing.append(response.status_code)

    racers = [threading.Thread(target=amend, args=(a,)) for a in (31_000_000, 32_000_000)]
    for t in racers:
        t.start()
    for t in racers:
        t.join(timeout=120)
    assert sorted(racing) == [200, 409]
    expected[1] = api.get(f"/bids/{bid_id}/pledge", tokens[1]).json["amount_pence"]
    assert expected[1] in (31_000_000, 32_000_000)

    totals = api.get(f"/bids/{bid_id}/totals", convenor).json
    assert totals["members_pledged"] == ORGS
    assert totals["pledged_pence"] == sum(expected.values())
    assert totals["confirmed_pence"] + totals["indicative_pence"] == totals["pledged_pence"]
    assert sum(r["amount_pence"] for r in totals["by_region"]) == totals["pledged_pence"]
    listed = api.get(f"/bids/{bid_id}/pledges?per_page=100", convenor).json
    assert listed["total"] == ORGS
    assert {p["organisation"]["name"]: p["amount_pence"] for p in listed["items"]} == {
        f"Landlord {n:02d} Homes": amount for n, amount in expected.items()
    }

    # The deadline passes: no scheduler has run, the clock alone refuses the late pledge.
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        late = api.put(f"/bids/{bid_id}/pledge", tokens[5], json=pledge_body(5, amount=99_000_000))
        assert late.status_code == 409
        assert late.json["type"] == "/api/v1/problems/bid-closed"
        after = api.get(f"/bids/{bid_id}/totals", convenor).json
    assert after["pledged_pence"] == sum(expected.values())
