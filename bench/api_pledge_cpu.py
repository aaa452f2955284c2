"""CPU of the API's pledge write, in one process: ``PUT /api/v1/bids/{id}/pledge`` through Flask's test client.

    python -m bench.api_pledge_cpu [REQUESTS]

A migrated SQLite file in a temporary folder, one open bid and one member with an API token; the member
replaces the pledge REQUESTS times (default 400) with If-Match, after 20 unmeasured warm-up requests. Prints
the process CPU (time.process_time) per request for the whole request, and per call for reading and
checking the body alone (the JSON parse and validation, the part of the request the API layer owns).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main(requests: int = 400) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.api import validation
    from app.extensions import db
    from app.models import User
    from app.services import api_tokens
    from bench.data import populate
    from config import TestConfig

    folder = Path(tempfile.mkdtemp(prefix="bench-api-"))
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'bench.db'}",
        UPLOAD_DIR=str(folder / "uploads"),
        PACK_DIR=str(folder / "packs"),
        API_RATE_LIMIT="1000000 per minute",
    )
    with app.app_context():
        upgrade()
    data = populate(app, organisations=1, bids=[1])
    with app.app_context():
        member = db.session.scalar(db.select(User).where(User.email == data.member_emails[0]))
        token, _row = api_tokens.create_token(member, "bench")
        db.session.commit()
    client = app.test_client()
    path = f"/api/v1/bids/{data.bid_ids[0]}/pledge"
    headers = {"Authorization": f"Bearer {token}"}
    etag = None

    def put(i: int) -> None:
        nonlocal etag
        body = {
            "amount_pence": 25_000_000 + i,
            "homes": 1_200,
            "regions": ["NW", "YH"],
            "statement": "Grants for tenants' groups.",
            "status": "confirmed",
            "accept_terms": True,
        }
        sent = {**headers, "If-Match": etag} if etag else headers
        response = client.put(path, json=body, headers=sent)
        assert response.status_code in (200, 201), response.text
        etag = response.headers["ETag"]

    for i in range(20):
        put(i)
    samples = []
    for i in range(requests):
        start = time.process_time()
        put(20 + i)
        samples.append(time.process_time() - start)
    print(
        f"PUT pledge, {requests} requests: CPU per request median {statistics.median(samples) * 1000:.2f} ms, "
        f"mean {statistics.fmean(samples) * 1000:.2f} ms"
    )

    body = json.dumps(
        {
            "amount_pence": 25_000_000,
            "homes": 1_200,
            "regions": ["NW", "YH"],
            "statement": "Grants for tenants' groups.",
            "status": "confirmed",
            "accept_terms": True,
        }
    )
    calls = 20_000
    with app.test_request_context(path, method="PUT", data=body, content_type="application/json"):
        start = time.process_time()
        for _ in range(calls):
            validation.read_body()  # the body model the operation declares
        spent = time.process_time() - start
    print(f"reading and checking the body alone, {calls} calls: {spent / calls * 1e6:.1f} µs per call")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 400)
