"""Scenario: after the bid at 20,000 grants. The delivery figures (``services.delivery.summary``, which the
dashboard and ``GET /bids/{id}/delivery`` serve) and the 360Giving export (build with validation of every grant
against the JSON Schema, then JSON, CSV and XLSX), each timed with its peak Python memory (tracemalloc), beside a bare
baseline: one GROUP BY for the figures, and the grant rows written straight to CSV for the export. The data is
the delivery demo (app/demo_delivery.py) played through the services. In process, on SQLite and, when
reachable, PostgreSQL. Run alone: ``python -m bench.delivery [--small]``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import time
import tracemalloc

import sqlalchemy as sa

from bench.common import database_targets, fresh_database, in_process_app, row, workdir

GRANTS = 20_000
BARE_FIGURES = sa.text(
    "SELECT organisation_id, count(*), coalesce(sum(amount_pence), 0) FROM grants WHERE bid_id = :bid "
    "GROUP BY organisation_id"
)
BARE_ROWS = sa.text(
    "SELECT id, reference, title, description, amount_pence, award_date, recipient_name, recipient_charity_number, "
    "recipient_company_number, location_name, location_gss, region, organisation_id, updated_at "
    "FROM grants WHERE bid_id = :bid ORDER BY id"
)


def measure(fn) -> tuple[float, float, object]:
    """(seconds, peak MiB of Python allocations, result): timed on one call, and the memory taken on a second
    call under tracemalloc (which slows what it traces several times over, so it never times anything)."""
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    fn()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 2**20, result


def bare_csv(conn, bid_id: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for r in conn.execute(BARE_ROWS, {"bid": bid_id}):
        writer.writerow(r)
    return out.getvalue().encode()


def run_database(label: str, url: str, work, grants: int, repeats: int) -> dict:
    from app.demo import seed_demo
    from app.demo_delivery import seed_delivery
    from app.extensions import db
    from app.infra import clock
    from app.models import Bid, BidStatus
    from app.services import delivery, giving360

    instance = work / f"instance-{label}"
    fresh_database(url, instance)
    app = in_process_app(url, instance)
    print(f"  [{label}] seeding {grants:,} grants through the services", flush=True)
    started = time.perf_counter()
    with app.test_request_context():
        seed_demo()
        seed_delivery(grants)
        db.session.commit()
        db.session.remove()
    seed_seconds = time.perf_counter() - started
    out: dict = {"database": label, "grants": grants, "seed_seconds": round(seed_seconds, 1)}
    with app.test_request_context():
        bid = db.session.scalars(sa.select(Bid).where(Bid.status == BidStatus.WON)).one()
        convenor = bid.created_by
        timings: dict[str, list[tuple[float, float]]] = {k: [] for k in (
            "summary", "bare_figures", "build", "json", "csv", "xlsx", "bare_csv")}  # fmt: skip
        for _ in range(repeats):  # alternating project and baseline
            s, m, figures = measure(lambda: delivery.summary(convenor, bid))
            timings["summary"].append((s, m))
            # The baselines run on the session's own connection (on SQLite a second one would wait for its lock).
            s, m, _ = measure(lambda: db.session.execute(BARE_FIGURES, {"bid": bid.id}).all())
            timings["bare_figures"].append((s, m))
            s, m, result = measure(lambda: giving360.export(convenor, bid, now=clock.now()))
            timings["build"].append((s, m))
            for form in ("json", "csv", "xlsx"):
                s, m, data = measure(lambda f=form, r=result: giving360.render(r, f))
                timings[form].append((s, m))
                out[f"{form}_bytes"] = len(data)
            s, m, _ = measure(lambda: bare_csv(db.session, bid.id))
            timings["bare_csv"].append((s, m))
            db.session.rollback()
        assert figures["totals"]["grants"] == grants and len(json.loads(giving360.render(result, "json"))["grants"])
        db.session.remove()
    with app.app_context():
        db.engine.dispose()
    for key, values in timings.items():
        seconds = sorted(v[0] for v in values)
        out[key] = {"median_s": round(seconds[len(seconds) // 2], 3), "peak_mib": round(max(v[1] for v in values), 1)}
    return out


def rows_for(result: dict) -> list[dict]:
    out = []
    for d in result["databases"]:
        case = f"{d['database']}, {d['grants']:,} grants"
        s, b = d["summary"], d["bare_figures"]
        out.append(row("delivery", case, "delivery figures median s (peak MiB)", f"{s['median_s']} ({s['peak_mib']})",
                       f"{b['median_s']} ({b['peak_mib']})", round(s["median_s"] / b["median_s"], 1) if b["median_s"]
                       else None, "< 1 s", s["median_s"] < 1))  # fmt: skip
        export = d["build"]["median_s"] + d["csv"]["median_s"]
        bare = d["bare_csv"]
        out.append(row("delivery", case, "360Giving CSV export (validated) median s (peak MiB)",
                       f"{round(export, 3)} ({max(d['build']['peak_mib'], d['csv']['peak_mib'])})",
                       f"{bare['median_s']} ({bare['peak_mib']})", round(export / bare["median_s"], 1)
                       if bare["median_s"] else None, "< 10 s", export < 10))  # fmt: skip
        for form in ("json", "xlsx"):
            f = d[form]
            out.append(row("delivery", case, f"360Giving {form.upper()} writing median s (peak MiB)",
                           f"{f['median_s']} ({f['peak_mib']})", None, None, "", None))  # fmt: skip
    return out


def main(small: bool = False) -> dict:
    grants = 2_000 if small else GRANTS
    repeats = 2 if small else 3
    result = {"scenario": "delivery", "databases": []}
    with workdir("delivery") as work:
        for label, url in database_targets(work, "delivery"):
            result["databases"].append(run_database(label, url, work, grants, repeats))
    result["rows"] = rows_for(result)
    result["notes"] = [
        "the export's build checks every grant against the JSON Schema (compiled once; jsonschema gives the reasons "
        "for any grant that fails) and searches its text for "
        "email addresses; the bare baseline only selects the rows and writes them as CSV"
    ]
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true")
    args = parser.parse_args()
    print(json.dumps(main(small=args.small), indent=1, default=str))
