"""Scenario: the directory at 5,000 organisations and 10,000 contacts, and the import of a 10,000-row file.

The data set is made by the import itself (10,000 rows: 5,000 organisations, two contacts each, read by
``app.imports`` and saved by ``directory_import``), timed with its peak memory (tracemalloc) beside a bare
baseline (``csv.reader`` and one ``executemany`` INSERT of the same rows). Then the directory page, a search,
a sort by amount pledged and a tag filter are served by gunicorn (production settings) to a logged-in convenor,
beside a bare Flask page of the same 50 names (bench/bare_app.py). SQL statements per page are counted
in-process before the import (59 organisations) and after (5,059): the same number. Run alone:
``python -m bench.directory [--small] [--import-only]`` (``--import-only``: the import and its baseline alone).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import time
import tracemalloc

import httpx

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
from bench.dashboard import QueryCounter
from bench.data import populate

ORGANISATIONS = 5000
PAGES = {
    "directory page": "/directory",
    # one of the 20 organisations imported before the large import (numbered from the import's size), so the
    # search finds one contact at both sizes and the statement counts compare like with like
    "search (contact email)": "/directory?q=contact{early}b",
    "sort by pledged": "/directory?sort=pledged&dir=desc",
    "tag filter, page 20": "/directory?tag=Wales&page=20",
}


def import_file(organisations: int, start: int = 0) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Organisation", "Email", "Contact name", "Homes", "Regions", "Tags"])
    for i in range(start, start + organisations):
        tags = "Wales; CECI network" if i % 2 else "Scotland"
        for part in ("a", "b"):
            writer.writerow(
                [
                    f"Directory Landlord {i:05d}",
                    f"contact{i}{part}@landlord{i}.example",
                    f"Person {i}{part}",
                    1000 + i,
                    "WAL" if i % 2 else "SCO",
                    tags,
                ]
            )
    return out.getvalue().encode("utf-8")


def timed_import(app, email: str, data: bytes) -> dict:
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import User
    from app.services import directory_import

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        tracemalloc.start()
        started = time.perf_counter()
        report = directory_import.import_directory(user, data, "bench.csv")
        db.session.commit()
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        body_id = user.organisation_id
        db.session.remove()
    return {
        "seconds": round(seconds, 2),
        "peak_mib": round(peak / 2**20, 1),
        "summary": report.summary(),
        "body_id": body_id,
    }


def bare_import(url: str, data: bytes) -> dict:
    """The same rows read by csv.reader and written by one executemany each for organisations and contacts."""
    import sqlalchemy as sa

    from bench.bare_app import sqlalchemy_url

    engine = sa.create_engine(sqlalchemy_url(url))
    tracemalloc.start()
    started = time.perf_counter()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))[1:]
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS bench_bare_orgs (name TEXT UNIQUE)"))
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS bench_bare_contacts (org TEXT, email TEXT)"))
        names = sorted({r[0] for r in rows})
        conn.execute(sa.text("INSERT INTO bench_bare_orgs (name) VALUES (:n)"), [{"n": n} for n in names])
        conn.execute(sa.text("INSERT INTO bench_bare_contacts VALUES (:o, :e)"), [{"o": r[0], "e": r[1]} for r in rows])
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    engine.dispose()
    return {"seconds": round(seconds, 2), "peak_mib": round(peak / 2**20, 1)}


def page_paths(organisations: int) -> dict[str, str]:
    """The pages measured, with the searched contact one of those imported before the large import."""
    return {name: path.format(early=organisations + 10) for name, path in PAGES.items()}


def statement_counts(app, email: str, organisations: int) -> dict[str, int]:
    from app.extensions import db

    client = app.test_client()
    page = client.get("/login")
    response = client.post("/login", data={"csrf_token": csrf_token(page.text), "email": email, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    with app.app_context():
        counter = QueryCounter(db.engine)
    counts = {}
    for name, path in page_paths(organisations).items():
        client.get(path)
        response, counts[name] = counter.measure(lambda p=path: client.get(p))
        assert response.status_code == 200, (path, response.status_code)
    return counts


def http_timings(base: str, session: WebSession | None, path: str, repeats: int) -> list[float]:
    latencies = []
    with httpx.Client(timeout=60) as client:
        for n in range(repeats + 3):
            started = time.perf_counter()
            response = session.request(client, "GET", base + path) if session else client.get(base + path)
            assert response.status_code == 200, (path, response.status_code)
            if n >= 3:
                latencies.append(time.perf_counter() - started)
    return latencies


def run_database(label: str, url: str, work, repeats: int, organisations: int, import_only: bool = False) -> dict:
    print(f"  [{label}] preparing a body with 39 organisations", flush=True)
    instance = work / f"instance-{label}"
    fresh_database(url, instance)
    app = in_process_app(url, instance)
    data = populate(app, organisations=39, bids=[39], pledge_share=0.9)
    timed_import(app, data.convenor_email, import_file(20, start=organisations))  # the tags exist before
    before = statement_counts(app, data.convenor_email, organisations)
    print(f"  [{label}] importing {organisations * 2:,} rows", flush=True)
    content = import_file(organisations)
    imported = timed_import(app, data.convenor_email, content)
    bare = bare_import(url, content)
    if import_only:
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()
        return {"database": label, "import": imported, "bare_import": bare, "organisations": organisations + 59}
    after = statement_counts(app, data.convenor_email, organisations)
    pages = {}
    with (
        Server("wsgi:app", server_env(url, instance), work / f"directory-{label}.log") as server,
        Server(
            "bench.bare_app:app", server_env(url, instance), work / f"directory-bare-{label}.log", ready_path="/health"
        ) as bare_server,
    ):
        session = WebSession()
        with httpx.Client(timeout=60) as client:
            session.login(client, server.url, data.convenor_email)
        bare_search = f"?q=landlord {organisations + 10:05d}"  # the same organisation, found by the bare app
        for name, path in page_paths(organisations).items():
            print(f"  [{label}] {name}", flush=True)
            project, baseline = [], []
            for _ in range(repeats // 5):  # alternate project and baseline in rounds of five
                project += http_timings(server.url, session, path, 5)
                baseline += http_timings(
                    bare_server.url,
                    None,
                    f"/directory/{imported['body_id']}" + (bare_search if "q=" in path else ""),
                    5,
                )
            pages[name] = {"project": latency_ms(project), "bare": latency_ms(baseline)}
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()
    return {
        "database": label,
        "import": imported,
        "bare_import": bare,
        "statements_before": before,
        "statements_after": after,
        "pages": pages,
        "organisations": organisations + 59,
        "small": 59,
    }


def rows_for(result: dict) -> list[dict]:
    out = []
    for db in result["databases"]:
        case = (
            f"{db['database']}, {db['organisations']:,} organisations, {2 * (db['organisations'] - 39) + 39:,} contacts"
        )
        imp, bare = db["import"], db["bare_import"]
        out.append(
            row(
                "directory",
                case,
                f"import of {2 * (db['organisations'] - 59):,} rows: seconds (peak MiB)",
                f"{imp['seconds']} ({imp['peak_mib']})",
                f"{bare['seconds']} ({bare['peak_mib']})",
                round(imp["seconds"] / bare["seconds"], 1) if bare["seconds"] else None,
                "< 60 s",
                imp["seconds"] < 60,
            )
        )
        for name in PAGES if "pages" in db else ():  # none with --import-only
            p, b = db["pages"][name]["project"], db["pages"][name]["bare"]
            same = db["statements_before"][name] == db["statements_after"][name]
            out.append(
                row(
                    "directory",
                    case,
                    f"{name}: median / p95 ms",
                    f"{p['median_ms']} / {p['p95_ms']}",
                    f"{b['median_ms']} / {b['p95_ms']}",
                    round(p["median_ms"] / b["median_ms"], 1) if b["median_ms"] else None,
                    "median < 250 ms",
                    p["median_ms"] < 250,
                )
            )
            out.append(
                row(
                    "directory",
                    case,
                    f"{name}: SQL statements at {db['small']} and at {db['organisations']:,}",
                    f"{db['statements_before'][name]} and {db['statements_after'][name]}",
                    None,
                    None,
                    "constant",
                    same,
                )
            )
    return out


def main(small: bool = False, repeats: int | None = None, import_only: bool = False) -> dict:
    repeats = repeats or (10 if small else 30)
    organisations = 1000 if small else ORGANISATIONS
    result = {"scenario": "directory", "repeats": repeats, "databases": []}
    with workdir("directory") as work:
        for label, url in database_targets(work, "directory"):
            result["databases"].append(run_database(label, url, work, repeats, organisations, import_only))
            print(json.dumps(result["databases"][-1], default=str), flush=True)  # the raw figures first
            for r in rows_for({"databases": result["databases"][-1:]}):  # shown as each database finishes
                print(
                    " | ".join(str(r[k]) for k in ("case", "measure", "project", "baseline", "ratio", "met")),
                    flush=True,
                )
    result["rows"] = rows_for(result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="1,000 organisations and fewer repeats")
    parser.add_argument(
        "--import-only", action="store_true", help="only the import (and its bare baseline), no page timings"
    )
    args = parser.parse_args()
    outcome = main(small=args.small, import_only=args.import_only)
    print(json.dumps({k: v for k, v in outcome.items() if k != "rows"}, indent=2, default=str))
    for r in outcome["rows"]:
        print(
            " | ".join(
                str(r[k]) for k in ("scenario", "case", "measure", "project", "baseline", "ratio", "target", "met")
            )
        )
