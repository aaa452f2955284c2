"""Scenario 2, dashboard scaling: the convenor's dashboard and the totals at 39, 500, 2,000 and 5,000 members.

For each size: the number of SQL statements one request runs (counted in-process with the Flask test
client and a ``before_cursor_execute`` listener; BEGIN is not counted), and the latency of the page
served by gunicorn (production settings) to one logged-in convenor on loopback. The totals are measured
through ``/api/v1/bids/<id>/totals`` when that route exists, and always as ``services.totals.compute``
in-process, alternating with the bare aggregate query (bench/bare_query.py). The targets compare each size
with the same page at 39 members, measured in the same run and the same minutes (one request to each size in
turn, 30 rounds after three warming ones): the page's median and the totals API's median at 5,000 members within
2× of 39's, and the same SQL statements at every size. Run alone:
``python -m bench.dashboard [--small]`` (``--small``: 39 and 5,000 members only, fewer repeats).
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

SIZES = (39, 500, 2000, 5000)
SMALL_SIZES = (39, 5000)
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


def query_counts(app, data, api_path, token, sizes) -> dict[int, dict]:
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
    for size, bid_id in zip(sizes, data.bid_ids, strict=True):
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


def http_timings(
    base: str, session: WebSession, paths: list[str], repeats: int, headers=None
) -> list[tuple[list[float], int]]:
    """Each path's latencies, the paths taken in turn (one request to each, ``repeats`` times) so that every size
    is measured over the same minutes as the 39-member baseline; each path warmed first with three requests."""
    latencies: list[list[float]] = [[] for _ in paths]
    statuses = [0] * len(paths)
    with httpx.Client(timeout=60) as client:
        for n in range(repeats + 3):
            for i, path in enumerate(paths):
                started = time.perf_counter()
                response = session.request(client, "GET", base + path, headers=dict(headers or {}))
                if n >= 3:  # the first three rounds warm the worker
                    latencies[i].append(time.perf_counter() - started)
                statuses[i] = response.status_code
    return [(found, status) for found, status in zip(latencies, statuses, strict=True)]


def run_database(label: str, url: str, work, repeats: int, sizes=SIZES) -> dict:
    print(f"  [{label}] preparing bids of {', '.join(map(str, sizes))} members", flush=True)
    instance = work / f"instance-{label}"
    fresh_database(url, instance)
    app = in_process_app(url, instance)
    data = populate(app, organisations=max(sizes), bids=list(sizes), pledge_share=0.9, unanswered=5)
    api_rule = next((r.rule for r in app.url_map.iter_rules() if API_RULE.match(r.rule)), None)
    api_path = re.sub(r"<[^>]+>", "{bid_id}", api_rule) if api_rule else None
    token = _api_token(app, data.convenor_email) if api_path else None
    counts = query_counts(app, data, api_path, token, sizes)
    measured = {}
    with Server("wsgi:app", server_env(url, instance), work / f"dashboard-{label}.log") as server:
        session = WebSession()
        with httpx.Client(timeout=60) as client:
            session.login(client, server.url, data.convenor_email)
        print(f"  [{label}] dashboard pages, {' and '.join(map(str, sizes))} members in turn", flush=True)
        pages = http_timings(server.url, session, [f"/bids/{bid_id}" for bid_id in data.bid_ids], repeats)
        apis = None
        if api_path:
            print(f"  [{label}] totals API, the sizes in turn", flush=True)
            apis = http_timings(
                server.url,
                WebSession(),
                [api_path.format(bid_id=bid_id) for bid_id in data.bid_ids],
                repeats,
                headers={"Authorization": f"Bearer {token}"},
            )
        for n, (size, bid_id) in enumerate(zip(sizes, data.bid_ids, strict=True)):
            page, page_status = pages[n]
            project, bare = compute_timings(app, bid_id, repeats * 3)
            entry = {
                "page": latency_ms(page),
                "page_status": page_status,
                "compute": latency_ms(project),
                "bare_aggregate": latency_ms(bare),
                **{k: v for k, v in counts[size].items() if k != "page_statements"},
            }
            if apis is not None:
                api, entry["api_http_status"] = apis[n]
                entry["api"] = latency_ms(api)
            measured[size] = entry
        command = " ".join(server.command[1:])
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()
    return {
        "database": label,
        "api_route": api_rule,
        "sizes": measured,
        "statements_at_largest": counts[max(measured)]["page_statements"],
        "command": command,
    }


def rows_for(result: dict) -> list[dict]:
    """Each size against the same page at the smallest size, measured in the same run."""
    out = []
    for db in result["databases"]:
        sizes = db["sizes"]
        smallest = min(sizes)
        base = sizes[smallest]
        for size, s in sizes.items():
            case = f"{db['database']}, {size} members"
            largest = size == max(sizes)
            same = s["page_queries"] == base["page_queries"]
            out.append(
                row(
                    "dashboard",
                    case,
                    "dashboard page SQL statements",
                    s["page_queries"],
                    base["page_queries"],
                    None,
                    f"same as at {smallest} members, ≤ 15",
                    same and s["page_queries"] <= 15,
                )
            )
            ratio = _ratio(s["page"]["median_ms"], base["page"]["median_ms"])
            out.append(
                row(
                    "dashboard",
                    case,
                    f"dashboard page median / p95 ms (baseline: median at {smallest} members)",
                    f"{s['page']['median_ms']} / {s['page']['p95_ms']}",
                    base["page"]["median_ms"],
                    ratio,
                    f"median ≤ 2× at {smallest}" if largest else "",
                    ratio is not None and ratio <= 2 if largest else None,
                )
            )
            out.append(
                row(
                    "dashboard",
                    case,
                    "totals.compute median ms (statements) vs bare aggregate",
                    f"{s['compute']['median_ms']} ({s['compute_queries']})",
                    s["bare_aggregate"]["median_ms"],
                    _ratio(s["compute"]["median_ms"], s["bare_aggregate"]["median_ms"]),
                    "≤ 15 statements",
                    s["compute_queries"] <= 15,
                )
            )
            if "api" in s:
                ratio = _ratio(s["api"]["median_ms"], base["api"]["median_ms"])
                ok = s["api_queries"] <= 15 and s["api_http_status"] == 200
                out.append(
                    row(
                        "dashboard",
                        case,
                        f"totals API median / p95 ms (HTTP {s['api_http_status']}, {s['api_queries']} statements;"
                        f" baseline: median at {smallest} members)",
                        f"{s['api']['median_ms']} / {s['api']['p95_ms']}",
                        base["api"]["median_ms"],
                        ratio,
                        f"≤ 15 statements; median ≤ 2× at {smallest}" if largest else "≤ 15 statements",
                        ok and (ratio is not None and ratio <= 2 if largest else True),
                    )
                )
    return out


def _ratio(value: float, baseline: float) -> float | None:
    return round(value / baseline, 2) if baseline else None


def main(small: bool = False, repeats: int | None = None) -> dict:
    repeats = repeats or (10 if small else 30)
    sizes = SMALL_SIZES if small else SIZES
    result = {"scenario": "dashboard", "sizes": list(sizes), "repeats": repeats, "databases": []}
    with workdir("dashboard") as work:
        for label, url in database_targets(work, "dashboard"):
            result["databases"].append(run_database(label, url, work, repeats, sizes))
    result["rows"] = rows_for(result)
    if not any(db["api_route"] for db in result["databases"]):
        result["notes"] = ["/api/v1/bids/<id>/totals does not exist yet: the totals were measured as the service."]
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    print(json.dumps({k: v for k, v in main(small=args.small).items() if k != "rows"}, indent=2, default=str))
