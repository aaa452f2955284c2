"""The operator's endpoints: /healthz, /readyz (503 naming the failing part, nothing secret), /metrics (off unless
enabled; a bearer token or an internal address), and the request id on responses, problem bodies and log lines."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

from app import create_app
from app.extensions import db, limiter
from app.infra import clock, logs, metrics
from app.models import EmailMessage
from app.services import pledges
from app.services.errors import BidNotOpen, StaleVersion, ValidationFailed
from config import TestConfig
from tests.factories import BidFactory, member_of


def test_healthz_answers_without_the_database(tmp_path):
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'no-folder' / 'x' / 'db.sqlite'}")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


def test_readyz_is_ready_on_a_migrated_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_names_migrations_behind_the_code(app, client, monkeypatch):
    monkeypatch.setitem(app.extensions, "migration_heads", frozenset({"0099_not_applied"}))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"] == {"database": "ok", "migrations": "behind"}
    assert response.json["failing"] == ["migrations"]


def test_readyz_names_an_unreachable_database_and_says_nothing_secret(tmp_path):
    url = f"sqlite:///{tmp_path / 'no-folder' / 'x' / 'db.sqlite'}"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, REDIS_URL="redis://:hunter2@127.0.0.1:1/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"] == {"database": "failing", "migrations": "unknown", "redis": "failing"}
    assert response.json["failing"] == ["database", "migrations", "redis"]
    for secret in ("hunter2", "127.0.0.1", "sqlite", "no-folder", "Error"):
        assert secret not in response.text
    with app.app_context():
        db.engine.dispose()


def test_the_operator_endpoints_are_exempt_from_every_rate_limit(app):
    exempt = {name.rsplit(".", 1)[-1] for name in limiter._route_exemptions}
    assert {"healthz", "readyz", "metrics_view"} <= exempt


def test_metrics_are_off_unless_enabled(client):
    assert client.get("/metrics").status_code == 404


def test_metrics_with_a_token_need_it(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_ENABLED", True)
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-scrape-token")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    response = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert "s3cret" not in response.text


def test_metrics_without_a_token_answer_internal_addresses_only(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_ENABLED", True)
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.3.7"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "81.2.69.160"}).status_code == 404


def _sample(text: str, name: str, **labels) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}} ") or (not labels and line.startswith(f"{name} ")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_requests_are_counted_by_endpoint_and_status_but_not_the_probes(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_ENABLED", True)
    before = client.get("/metrics").text
    client.get("/login")
    client.get("/no-such-page")
    client.get("/healthz")
    after = client.get("/metrics").text
    for endpoint, status in (("auth.login", 200), ("unmatched", 404)):
        labels = {"endpoint": endpoint, "method": "GET", "status": status}
        assert (
            _sample(after, "bids_http_requests_total", **labels)
            == _sample(before, "bids_http_requests_total", **labels) + 1
        )
    assert 'endpoint="healthz"' not in after and 'endpoint="metrics"' not in after


def test_pledge_writes_are_counted_by_result(ctx):
    def count(result):
        return metrics.PLEDGE_WRITES.labels(result=result)._value.get()

    before = {r: count(r) for r in metrics.PLEDGE_RESULTS}
    bid = BidFactory()
    member = member_of(bid)
    values = {"amount_pence": 100_000, "homes": 10, "regions": ["NW"], "status": "confirmed", "accept_terms": True}
    pledges.save_pledge(member, bid, values, expected_version=0)
    db.session.commit()
    with pytest.raises(StaleVersion):
        pledges.save_pledge(member, bid, {**values, "homes": 11}, expected_version=0)
    with pytest.raises(ValidationFailed):
        pledges.save_pledge(member, bid, {**values, "amount_pence": -5}, expected_version=1)
    db.session.rollback()
    bid.status = "closed"
    db.session.commit()
    with pytest.raises(BidNotOpen):
        pledges.save_pledge(member, bid, values, expected_version=1)
    db.session.rollback()
    assert {r: count(r) - before[r] for r in metrics.PLEDGE_RESULTS} == {
        "accepted": 1,
        "stale": 1,
        "closed": 1,
        "invalid": 1,
    }


def test_the_outbox_backlog_and_its_oldest_message_age(app, client, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_ENABLED", True)
    for minutes in (12, 3):
        db.session.add(
            EmailMessage(
                to_address="a@example.org",
                subject="s",
                body_text="b",
                kind="test",
                created_at=clock.now() - timedelta(minutes=minutes),
            )
        )
    db.session.commit()
    text = client.get("/metrics").text
    assert _sample(text, "bids_outbox_backlog") == 2
    assert 12 * 60 <= _sample(text, "bids_outbox_oldest_unsent_age_seconds") < 13 * 60


def test_an_incoming_request_id_is_kept_and_a_bad_one_replaced(client):
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c01.edge:2"})
    assert kept.headers["X-Request-ID"] == "lb-7f3a9c01.edge:2"
    for bad in ("short", "x" * 129, "has space in it", "<script>alert(1)</script>", "id;Set-Cookie=a"):
        made = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert made != bad and len(made) == 32 and made.isalnum()
    assert client.get("/healthz").headers["X-Request-ID"] != client.get("/healthz").headers["X-Request-ID"]


def test_a_problem_body_carries_the_request_id(client):
    response = client.get("/api/v1/bids", headers={"X-Request-ID": "report-0123456789"})
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert response.json["request_id"] == "report-0123456789" == response.headers["X-Request-ID"]


def test_json_log_lines_carry_the_request_id(app):
    formatter, keep = logs.JsonFormatter(), logs.RequestIdFilter()
    with app.test_request_context("/"):
        from flask import g

        g.request_id = "abc123def456"
        record = logging.LogRecord("app.web", logging.WARNING, __file__, 1, "refused %s", ("x",), None)
        keep.filter(record)
    entry = json.loads(formatter.format(record))
    assert entry["request_id"] == "abc123def456" and entry["message"] == "refused x"
    assert entry["level"] == "WARNING" and entry["time"].endswith("+00:00")
    outside = logging.LogRecord("app.jobs", logging.INFO, __file__, 1, "swept", (), None)
    keep.filter(outside)
    assert json.loads(formatter.format(outside))["request_id"] == "-"
