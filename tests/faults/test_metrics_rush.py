"""Metrics from a real server: gunicorn with two workers in multi-process mode. A scripted rush of pledges moves
the request and pledge counters (added up across the workers); with the mail server refusing, the outbox's
backlog holds the receipts and the age of its oldest message grows from one scrape to the next."""

from __future__ import annotations

import contextlib
import json
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from app.extensions import db
from tests.conftest import need
from tests.factories import PASSWORD, BidFactory, member_of
from tests.live.server import csrf, gunicorn, have_gunicorn, login

pytestmark = [pytest.mark.slow]
TOKEN = "rush-metrics-token"
MEMBERS = 6


def closed_port() -> int:
    with socket.socket() as s:  # free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(base: str) -> dict[str, float]:
    text = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).text
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = samples.get(name, 0.0) + float(value)
    return samples


def pledge_form(version: str, amount: str = "100,000") -> dict:
    return {
        "amount": amount,
        "homes": "500",
        "regions": "NW",
        "statement": "Grants.",
        "status": "confirmed",
        "accept_terms": "y",
        "version": version,
    }


def test_counters_move_with_a_rush_and_the_outbox_age_grows_while_smtp_refuses(app, database_url, tmp_path):
    need(have_gunicorn(), "gunicorn in the virtualenv")
    with app.app_context():
        bid = BidFactory()
        emails = [member_of(bid).email for _ in range(MEMBERS)]
        bid_id = bid.id
        db.session.commit()
        db.session.remove()
    env = {
        "METRICS_ENABLED": "1",
        "METRICS_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / f"metrics-{uuid.uuid4().hex[:6]}"),
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(closed_port()),
        "MAIL_TIMEOUT": "1",
        "LOG_FORMAT": "json",
    }
    form = f"/bids/{bid_id}/pledge"
    accepted = 'bids_pledge_writes_total{result="accepted"}'
    stale = 'bids_pledge_writes_total{result="stale"}'
    invalid = 'bids_pledge_writes_total{result="invalid"}'
    posts = 'bids_http_requests_total{endpoint="pledges.edit",method="POST",status="302"}'
    with gunicorn(database_url, tmp_path, workers=2, threads=8, env=env) as base, contextlib.ExitStack() as stack:
        clients = [stack.enter_context(httpx.Client(base_url=base, timeout=30)) for _ in emails]
        for client, email in zip(clients, emails, strict=True):
            login(client, email, PASSWORD)
        before = scrape(base)

        def rush(client):
            return client.post(form, data={"csrf_token": csrf(client, form), **pledge_form("0")}).status_code

        with ThreadPoolExecutor(MEMBERS) as pool:
            assert list(pool.map(rush, clients)) == [302] * MEMBERS
        # The first member again, on the form it opened before its pledge existed (stale); then a bad amount.
        first = clients[0]
        assert first.post(form, data={"csrf_token": csrf(first, form), **pledge_form("0", "150,000")}).status_code in (
            409,
            422,
        )
        refused = first.post(form, data={"csrf_token": csrf(first, form), **pledge_form("1", "-5")})
        assert refused.status_code == 422
        after = scrape(base)
        assert after.get(accepted, 0) - before.get(accepted, 0) == MEMBERS
        assert after.get(stale, 0) - before.get(stale, 0) == 1
        assert after.get(invalid, 0) - before.get(invalid, 0) == 1
        assert after.get(posts, 0) - before.get(posts, 0) == MEMBERS  # both workers' counts added up
        latency = 'bids_http_request_duration_seconds_count{endpoint="pledges.edit",status="302"}'
        assert after.get(latency, 0) - before.get(latency, 0) == MEMBERS

        # Every receipt waits in the outbox while the mail server refuses, and the oldest grows older.
        assert after["bids_outbox_backlog"] >= MEMBERS
        time.sleep(2)
        later = scrape(base)
        assert later["bids_outbox_backlog"] >= MEMBERS
        assert later["bids_outbox_oldest_unsent_age_seconds"] >= after["bids_outbox_oldest_unsent_age_seconds"] + 1.5

    # The access log: one JSON object per request with its request id; the scrapes are left out.
    lines = [json.loads(line) for path in tmp_path.glob("access-*.log") for line in path.read_text().splitlines()]
    rushed = [entry for entry in lines if entry["path"] == form and entry["method"] == "POST"]
    assert len(rushed) == MEMBERS + 2 and all(len(entry["request_id"]) == 32 for entry in rushed)
    assert not [entry for entry in lines if entry["path"] == "/metrics"]
