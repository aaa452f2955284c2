"""Scenario 2, dashboard scaling: the convenor's dashboard and the totals at 39, 500 and 2,000 members.

For each size: the number of SQL statements one request runs (counted in-process with the Flask test
client and a ``before_cursor_execute`` listener; BEGIN is not counted), and the latency of the page
served by gunicorn (production settings) to one logged-in convenor on loopback. The totals are measured
through ``/api/v1/bids/<id>/totals`` when that route exists, and always as ``services.totals.compute``
in-process, alternating with the bare aggregate query (bench/bare_query.py). Run alone:
``python -m bench.dashboard [--small]``.
"""

from __future__ import annotations

import argparse
import json
import re
import time

import httpx
from sqlalchemy import event

from bench import bare_query
from bench.common import (
    PASSWORD,
    Server,
    WebSession,
    csrf_token,
    database_targets,
    fresh_database,
    in_process_app,
    latency_ms,
    row,
    server_env,
    workdir,
)
from bench.data import populate

SIZES = (39, 500, 2000)
API_RULE = re.compile(r"^/api/v1/bids/<[^>]+>/totals$")


class QueryCounter:
    """Counts the statements an engine runs while ``active``."""

    def __init__(self, engine) -> None:
        self.statements: list[str] = []
        self.active = False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.active and not statement.lstrip().upper().startswith("BEGIN"):
            self.statements.append(statement)

    def measure(self, fn):
        self.statements, self.active = [], True
        try:
            result = fn()
        finally:
            self.active = False
        return result, len(self.statements)


def _api_token(app, email: str) -> str | None:
    """A bearer token for the convenor, made by the project's own token service."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import User
    from app.services import api_tokens

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        token, _row = api_tokens.create_token(user, "bench")
        db.session.commit()
        db.session.remove()
    return token


def query_counts(app, data, api_path, token) -> dict[int, dict]:
    from app.extensions import db
    from app.models import Bid
    from app.services import totals

    out = {}
    client = app.test_client()
    page = client.get("/login")
    login = client.post(
        "/login", data={"csrf_token": csrf_token(page.text), "email": data.convenor_email, "password": PASSWORD}
    )
    assert login.status_code == 302, login.status_code
    with app.app_context():
        counter = QueryCounter(db.engine)
    for size, bid_id in zip(SIZES, data.bid_ids, strict=True):
        client.get(f"/bids/{bid_id}")  # warm the templates and caches
        response, page_queries = counter.measure(lambda b=bid_id: client.get(f"/bids/{b}"))
        assert response.status_code == 200, response.status_code
        entry = {"page_queries": page_queries, "page_statements": list(counter.statements)}
        with app.app_context():
            bid = db.session.get(Bid, bid_id)
            _, entry["compute_queries"] = counter.measure(lambda b=bid: totals.compute(b))
            db.session.remove()
        if api_path:
            headers = {"Authorization": f"Bearer {token}"}
            response, entry["api_queries"] = counter.measure(
                lambda b=bid_id, h=headers: client.get(api_path.format(bid_id=b), headers=h)
            )
            entry["api_status"] = response.status_code
        out[size] = entry
    return out


def compute_timings(app, bid_id: int, repeats: int) -> tuple[list[float], list[float]]:
    """totals.compute and the bare aggregate query, alternating, in-process."""
    from app.extensions import db
    from app.models import Bid
    from app.services import totals

    project, bare = [], []
    with app.app_context():
        bid = db.session.get(Bid, bid_id)
        for _ in range(repeats):
            started = time.perf_counter()
            totals.compute(bid)
            db.session.rollback()
            project.append(time.perf_counter() - started)
            started = time.perf_counter()
            with db.engine.connect() as conn:
                bare_query.aggregate(conn, bid_id)
            bare.append(time.perf_counter() - started)
        db.session.remove()
    return project, bare


def http_timings(base: str, session: WebSession, path: str, repeats: int, headers=None) -> tuple[list[float], int]:
    latencies, status = [], 0
    with httpx.Client(timeout=60) as client:
        for n in range(repeats + 3):
            started = time.perf_counter()
            response = session.request(client, "GET", base + path, headers=dict(headers or {}))
            if n >= 3:  # the first three warm the worker
                latencies.append(time.perf_counter() - started)
            status = response.status_code
    return latencies, status


def run_database(label: str, url: str, work, repeats: int) -> dict:
    print(f"  [{label}] preparing bids of {', '.join(map(str, SIZES))} members", flush=True)
    instance = work / f"instance-{label}"
    fresh_database(url, instance)
    app = in_process_app(url, instance)
    data = populate(app, organisations=max(SIZES), bids=list(SIZES), pledge_share=0.9, unanswered=5)
    api_rule = next((r.rule for r in app.url_map.iter_rules() if API_RULE.match(r.rule)), None)
    api_path = re.sub(r"<[^>]+>", "{bid_id}", api_rule) if api_rule else None
    token = _api_token(app, data.convenor_email) if api_path else None
    counts = query_counts(app, data, api_path, token)
    sizes = {}
    with Server("wsgi:app", server_env(url, instance), work / f"dashboard-{label}.log") as server:
        session = WebSession()
        with httpx.Client(timeout=60) as client:
            session.login(client, server.url, data.convenor_email)
        for size, bid_id in zip(SIZES, data.bid_ids, strict=True):
            print(f"  [{label}] {size} members", flush=True)
            page, page_status = http_timings(server.url, session, f"/bids/{bid_id}", repeats)
            project, bare = compute_timings(app, bid_id, repeats * 3)
            entry = {
                "page": latency_ms(page),
                "page_status": page_status,
                "compute": latency_ms(project),
                "bare_aggregate": latency_ms(bare),
                **{k: v for k, v in counts[size].items() if k != "page_statements"},
            }
            if api_path:
                api, entry["api_http_status"] = http_timings(
                    server.url,
                    WebSession(),
                    api_path.format(bid_id=bid_id),
                    repeats,
                    headers={"Authorization": f"Bearer {token}"},
                )
                entry["api"] = latency_ms(api)
            sizes[size] = entry
        command = " ".join(server.command[1:])
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()
    return {
        "database": label,
        "api_route": api_rule,
        "sizes": sizes,
        "statements_at_largest": counts[max(SIZES)]["page_statements"],
        "command": command,
    }


def rows_for(result: dict) -> list[dict]:
    out = []
    for db in result["databases"]:
        for size, s in db["sizes"].items():
            case = f"{db['database']}, {size} members"
            largest = size == max(SIZES)
            out.append(
                row(
                    "dashboard",
                    case,
                    "dashboard page SQL statements",
                    s["page_queries"],
                    None,
                    None,
                    "≤ 15",
                    s["page_queries"] <= 15,
                )
            )
            out.append(
                row(
                    "dashboard",
                    case,
                    "dashboard page median / p95 ms",
                    f"{s['page']['median_ms']} / {s['page']['p95_ms']}",
                    None,
                    None,
                    "median < 50 ms at 2,000" if largest else "",
                    s["page"]["median_ms"] < 50 if largest else None,
                )
            )
            out.append(
                row(
                    "dashboard",
                    case,
                    "totals.compute median ms (statements) vs bare aggregate",
                    f"{s['compute']['median_ms']} ({s['compute_queries']})",
                    s["bare_aggregate"]["median_ms"],
                    round(s["compute"]["median_ms"] / s["bare_aggregate"]["median_ms"], 2)
                    if s["bare_aggregate"]["median_ms"]
                    else None,
                    "≤ 15 statements",
                    s["compute_queries"] <= 15,
                )
            )
            if "api" in s:
                out.append(
                    row(
                        "dashboard",
                        case,
                        f"totals API median / p95 ms (HTTP {s['api_http_status']}, {s['api_queries']} statements)",
                        f"{s['api']['median_ms']} / {s['api']['p95_ms']}",
                        None,
                        None,
                        "≤ 15 statements",
                        s["api_queries"] <= 15 and s["api_http_status"] == 200,
                    )
                )
    return out


def main(small: bool = False, repeats: int | None = None) -> dict:
    repeats = repeats or (10 if small else 30)
    result = {"scenario": "dashboard", "sizes": list(SIZES), "repeats": repeats, "databases": []}
    with workdir("dashboard") as work:
        for label, url in database_targets(work, "dashboard"):
            result["databases"].append(run_database(label, url, work, repeats))
    result["rows"] = rows_for(result)
    if not any(db["api_route"] for db in result["databases"]):
        result["notes"] = ["/api/v1/bids/<id>/totals does not exist yet: the totals were measured as the service."]
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    print(json.dumps({k: v for k, v in main(small=args.small).items() if k != "rows"}, indent=2, default=str))
