"""CPU of one pledge write against its four-insert floor, in one process (Flask's test client, no HTTP).

    python -m bench.pledge_cpu [--small] [--profile get|post|put] [--writes N]

On each database (SQLite and, when reachable, PostgreSQL), with production settings (email sent by the
process's background sender, as in production): members replace their organisation's pledge through the real
page (GET the form, POST it) and through the API (``PUT /api/v1/bids/<id>/pledge`` with If-Match),
alternating with the floor (``bench.floor``: the same four rows with prebuilt Core statements in one
transaction, on the project's own engine). Reported: the median CPU time of the request's thread per GET, POST,
PUT and floor write, and the ratios; and the process's CPU per POST including the background sender's work
(measured after the sender has finished), so that moving the email off the request does not hide its cost.
A second reference, alternating with the others: the same floor served by the thinnest Flask app
(``bench.bare_app``'s ``POST /floor``, a form of the pledge's size) through the same test client, so that what
Flask and Werkzeug cost per request, before the project adds anything, is measured beside the floor. A third:
the POST's own statements with nothing around them (``bench.post_statements``), what the database work that
the POST is asked to do costs at its cheapest.
``--profile`` prints a cProfile of that request (cumulative and own time) instead of nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import time
from pathlib import Path

from bench import floor, post_statements
from bench.common import (
    PASSWORD,
    VERSION_RE,
    csrf_token,
    database_targets,
    fresh_database,
    in_process_app,
    row,
    workdir,
)
from bench.data import populate

ORGANISATIONS = 8
WARM_UP = 10


def _form(k: int, token: str, version: str) -> dict:
    return {
        "amount": f"£{100_000 + k:,}",
        "homes": str(100 + k % 50),
        "regions": ["NW", "YH"] if k % 2 else ["LON"],
        "statement": f"Grants for community groups near our homes (change {k}).",
        "status": "indicative",
        "accept_terms": "y",
        "csrf_token": token,
        "version": version,
    }


class Members:
    """Logged-in test clients of the benchmark's members, and an API token for each."""

    def __init__(self, app, data) -> None:
        import sqlalchemy as sa

        from app.extensions import db
        from app.models import User
        from app.services import api_tokens

        self.app, self.bid_id, self.emails = app, data.bid_ids[0], list(data.member_emails)
        self.clients = []
        for email in data.member_emails:
            client = app.test_client()
            page = client.get("/login")
            answer = client.post(
                "/login", data={"csrf_token": csrf_token(page.text), "email": email, "password": PASSWORD}
            )
            assert answer.status_code == 302, answer.status_code
            self.clients.append(client)
        with app.app_context():
            users = {u.email: u for u in db.session.scalars(sa.select(User).where(User.email.in_(data.member_emails)))}
            self.tokens = [api_tokens.create_token(users[e], "bench")[0] for e in data.member_emails]
            db.session.commit()
            db.session.remove()

    def get(self, j: int):
        page = self.clients[j].get(f"/bids/{self.bid_id}/pledge")
        assert page.status_code == 200, page.status_code
        return page

    def post(self, j: int, k: int, page) -> None:
        form = _form(k, csrf_token(page.text), VERSION_RE.search(page.text).group(1))
        answer = self.clients[j].post(f"/bids/{self.bid_id}/pledge", data=form)
        assert answer.status_code == 302, (answer.status_code, answer.text[:500])

    def etag(self, j: int) -> str:
        """The pledge's current ETag (the page's POST has changed it since the last PUT); not measured."""
        headers = {"Authorization": f"Bearer {self.tokens[j]}"}
        return self.clients[j].get(f"/api/v1/bids/{self.bid_id}/pledge", headers=headers).headers["ETag"]

    def put(self, j: int, k: int, etag: str) -> None:
        headers = {"Authorization": f"Bearer {self.tokens[j]}"}
        body = {
            "amount_pence": 25_000_000 + k,
            "homes": 1_200,
            "regions": ["NW", "YH"],
            "statement": "Grants for tenants' groups.",
            "status": "confirmed",
            "accept_terms": True,
        }
        answer = self.clients[j].put(
            f"/api/v1/bids/{self.bid_id}/pledge", json=body, headers={**headers, "If-Match": etag}
        )
        assert answer.status_code in (200, 201), answer.text


def _cpu(work):
    thread, process = time.thread_time(), time.process_time()
    result = work()
    return result, time.thread_time() - thread, time.process_time() - process


def _bare_client(url: str):
    """A test client of the bare Flask app (``bench.bare_app``) on the same database, for ``POST /floor``."""
    from bench import bare_app

    return bare_app.create_app(url).test_client()


def measure(app, members: Members, writes: int, url: str) -> dict:
    from app import notifications
    from app.extensions import db

    kinds = ("get", "post", "post_with_send", "put", "floor", "bare_floor_post", "get_statements", "post_statements")
    samples: dict[str, list[float]] = {k: [] for k in kinds}
    with app.app_context():
        engine = db.engine
    floor.create_tables(engine)
    # The POST's own statements amend the last member's pledge, after that member's page and API writes.
    with engine.connect() as conn:
        amender = post_statements.Amender.for_member(conn, members.emails[-1], members.bid_id)
    bare = _bare_client(url)
    n = 0
    for k in range(WARM_UP + writes):
        j = k % len(members.clients)
        page, get_cpu, _ = _cpu(lambda j=j: members.get(j))
        _, post_cpu, _ = _cpu(lambda j=j, k=k, page=page: members.post(j, k, page))
        # The background sender's work for this POST, counted in the process's CPU once it is done.
        _, _, sent_cpu = _cpu(lambda j=j, k=k, page=page: notifications.wait_for_sends())
        etag = members.etag(j)
        _, put_cpu, _ = _cpu(lambda j=j, k=k, etag=etag: members.put(j, k, etag))
        notifications.wait_for_sends()

        def floor_write():
            nonlocal n
            n += 1
            with engine.begin() as conn:
                floor.write(conn, n)

        _, floor_cpu, _ = _cpu(floor_write)

        def bare_post(k=k):
            nonlocal n
            n += 1
            answer = bare.post("/floor", data={**_form(k, "-", "1"), "n": str(n)})
            assert answer.status_code == 201, answer.status_code

        _, bare_cpu, _ = _cpu(bare_post)

        def statements_only(k=k):
            with engine.begin() as conn:
                post_statements.amend(conn, amender, k)

        _, statements_cpu, _ = _cpu(statements_only)

        def reads_only():
            with engine.begin() as conn:
                post_statements.read(conn, amender)

        _, reads_cpu, _ = _cpu(reads_only)
        if k < WARM_UP:
            continue
        samples["get"].append(get_cpu)
        samples["post"].append(post_cpu)
        samples["post_with_send"].append(post_cpu + sent_cpu)
        samples["put"].append(put_cpu)
        samples["floor"].append(floor_cpu)
        samples["bare_floor_post"].append(bare_cpu)
        samples["post_statements"].append(statements_cpu)
        samples["get_statements"].append(reads_cpu)
    ms = {k: round(statistics.median(v) * 1000, 3) for k, v in samples.items()}
    means = {k: round(statistics.fmean(v) * 1000, 3) for k, v in samples.items()}
    base = ms["floor"]
    return {
        "writes": writes,
        "median_cpu_ms": ms,
        "mean_cpu_ms": means,
        "ratio_post": round(ms["post"] / base, 2),
        "ratio_get_post": round((ms["get"] + ms["post"]) / base, 2),
        "ratio_post_with_send": round(ms["post_with_send"] / base, 2),
        "ratio_put": round(ms["put"] / base, 2),
        "ratio_bare_floor_post": round(ms["bare_floor_post"] / base, 2),
        "ratio_post_statements": round(ms["post_statements"] / base, 2),
        "ratio_get_post_statements": round((ms["get_statements"] + ms["post_statements"]) / base, 2),
        "floor_rows": floor.count(engine),
    }


def profile(members: Members, which: str, count: int = 200) -> str:
    """A cProfile of ``count`` requests of one kind (after the measurement's warm-up)."""
    from app import notifications

    profiler = cProfile.Profile()
    for k in range(count):
        j = k % len(members.clients)
        if which == "put":
            profiler.runcall(members.put, j, 10_000 + k, members.etag(j))
            continue
        page = profiler.runcall(members.get, j) if which == "get" else members.get(j)
        if which == "post":
            profiler.runcall(members.post, j, 10_000 + k, page)
        else:
            members.post(j, 10_000 + k, page)
    out = io.StringIO()
    notifications.wait_for_sends()  # the receipts' sending is not profiled, and must end before the files go
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)
    return out.getvalue()


def run_database(label: str, url: str, work: Path, writes: int, which: str | None) -> dict:
    print(f"  [{label}] preparing {ORGANISATIONS} organisations", flush=True)
    instance = work / f"instance-cpu-{label}"
    fresh_database(url, instance)
    setup = in_process_app(url, instance)
    data = populate(setup, organisations=ORGANISATIONS, bids=[ORGANISATIONS], pledge_share=1.0)
    with setup.app_context():
        from app.extensions import db

        db.engine.dispose()
    # Production's sending: a background sender after the commit (the set-up app sends inline).
    app = in_process_app(url, instance, MAIL_SEND_ASYNC=True, API_RATE_LIMIT="1000000 per minute")
    members = Members(app, data)
    result = {"database": label, **measure(app, members, writes, url)}
    if which:
        result["profile"] = profile(members, which)
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()
    return result


def rows_for(result: dict) -> list[dict]:
    out = []
    for db in result["databases"]:
        case = f"{db['database']}, in process, median of {db['writes']}"
        ms, base = db["median_cpu_ms"], db["median_cpu_ms"]["floor"]

        def add(measure, project, ratio, target="", met=None, case=case, base=base):
            out.append(row("pledge_cpu", case, measure, project, base, ratio, target, met))

        add("POST CPU ms vs four-insert floor", ms["post"], db["ratio_post"], "≤ 3×", db["ratio_post"] <= 3)
        add(
            "GET form + POST CPU ms vs floor",
            round(ms["get"] + ms["post"], 3),
            db["ratio_get_post"],
            "≤ 4.5×",
            db["ratio_get_post"] <= 4.5,
        )
        add("POST + its email's sending (process CPU) vs floor", ms["post_with_send"], db["ratio_post_with_send"])
        add("API PUT CPU ms vs floor", ms["put"], db["ratio_put"])
        add(
            "the floor served by bare Flask (test client POST /floor) vs floor (what the framework adds)",
            ms["bare_floor_post"],
            db["ratio_bare_floor_post"],
        )
        add(
            "the POST's own statements, prebuilt Core, no framework (bench/post_statements.py) vs floor",
            ms["post_statements"],
            db["ratio_post_statements"],
        )
        add(
            "the form page's and the POST's own statements, prebuilt Core, no framework, vs floor",
            round(ms["get_statements"] + ms["post_statements"], 3),
            db["ratio_get_post_statements"],
        )
    return out


def main(small: bool = False, writes: int | None = None, which: str | None = None) -> dict:
    writes = writes or (60 if small else 300)
    result = {"scenario": "pledge_cpu", "databases": []}
    with workdir("pledge-cpu") as work:
        for label, url in database_targets(work, "pledge_cpu"):
            result["databases"].append(run_database(label, url, work, writes, which))
    result["rows"] = rows_for(result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="60 writes instead of 300")
    parser.add_argument("--writes", type=int)
    parser.add_argument("--profile", choices=("get", "post", "put"))
    args = parser.parse_args()
    outcome = main(small=args.small, writes=args.writes, which=args.profile)
    for db in outcome["databases"]:
        print(db.pop("profile", ""))
    print(json.dumps({k: v for k, v in outcome.items() if k != "rows"}, indent=1, default=str))
