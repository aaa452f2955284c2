"""Impact returns at size (``make bench``: ``returns_totals``): the totals service, the convenor's dashboard page
(in-process) and the summary PDF at 2,000 organisations × 24 periods × 9 measures, each timed turn about with
a bare baseline in the same run (the floor: reading every return's figures once with one plain query; for the
PDF, a reportlab document of the same tables and charts), and the SQL statements of the totals and the page at
each size. Run alone: ``python -m bench.returns_totals [--small]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy import event

from bench.common import database_targets, fresh_database, gather_statistics, in_process_app, percentile, row, workdir

CODES = ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9"]


def populate(app, organisations: int, months: int) -> tuple[int, str]:
    """Bulk rows (no services: the set-up is not what is measured). Returns the programme id and a convenor email."""
    from werkzeug.security import generate_password_hash

    from app.extensions import db
    from app.infra import clock
    from app.models import (
        ImpactReturn,
        Measure,
        MeasureSet,
        Organisation,
        Participant,
        Period,
        Programme,
        User,
    )
    from app.services.returns import periods

    with app.app_context():
        now = datetime(2026, 12, 1, tzinfo=UTC)
        body = Organisation(name="Bench Body", name_key="bench body", kind="convenor")
        db.session.add(body)
        db.session.flush()
        convenor = User(
            email="bench@body.example",
            name="Bench",
            role="convenor",
            organisation_id=body.id,
            password_hash=generate_password_hash("bench-password-1", method="scrypt:1024:8:1"),
        )
        db.session.add(convenor)
        db.session.flush()
        start = date(2024, 12, 1)
        programme = Programme(
            organisation_id=body.id,
            title="Bench programme",
            first_period="2024-12",
            created_by_id=convenor.id,
            lock_days=0,
        )
        db.session.add(programme)
        mset = MeasureSet(version=1)
        programme.measure_sets.append(mset)
        for n, code in enumerate(CODES):
            mset.measures.append(
                Measure(
                    position=n,
                    code=code,
                    label=f"Measure {code}",
                    unit="count",
                    kind="stock" if n == 8 else "flow",
                    required=True,
                )
            )
        db.session.flush()
        db.session.execute(
            sa.insert(Organisation.__table__),
            [
                {
                    "name": f"Org {i}",
                    "name_key": f"org {i}",
                    "kind": "member",
                    "homes_owned": 1000 + i,
                    "regions": [],
                    "created_at": now,
                }
                for i in range(organisations)
            ],
        )
        org_ids = list(db.session.scalars(sa.select(Organisation.id).where(Organisation.kind == "member")))
        db.session.execute(
            sa.insert(Participant.__table__),
            [{"programme_id": programme.id, "organisation_id": o, "added_at": now} for o in org_ids],
        )
        month, rows = start, []
        for _ in range(months):
            rows.append(
                {
                    "programme_id": programme.id,
                    "key": periods.key_for(month, month),
                    "start_month": month,
                    "end_month": month,
                    "measure_set_id": mset.id,
                    "due_at": periods.due_at(month, 15),
                    "lock_at": None,
                    "opened_at": now,
                }
            )
            month = periods.next_month(month)
        db.session.execute(sa.insert(Period.__table__), rows)
        period_ids = list(db.session.scalars(sa.select(Period.id).where(Period.programme_id == programme.id)))
        for pid in period_ids:
            db.session.execute(
                sa.insert(ImpactReturn.__table__),
                [
                    {
                        "programme_id": programme.id,
                        "period_id": pid,
                        "organisation_id": o,
                        "measure_set_id": mset.id,
                        "status": "submitted",
                        "values": {c: (o * 7 + pid + n) % 500 for n, c in enumerate(CODES)},
                        "comments": {},
                        "story": "",
                        "late": False,
                        "submitted_at": now,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for o in org_ids
                ],
            )
        db.session.commit()
        clock.now()
        gather_statistics(db.engine)
        return programme.id, convenor.email


def _timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def _alternate(project, bare, runs: int) -> tuple[list[float], list[float]]:
    """Time the project and its baseline turn about, so drift on a shared machine hits both alike."""
    a, b = [], []
    for _ in range(runs):
        a += _timed(project, 1)
        b += _timed(bare, 1)
    return a, b


def _counted(engine, fn) -> int:
    seen: list[str] = []
    listener = lambda *a: seen.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def bare_pdf(rows: list[dict]) -> bytes:
    """The floor for the summary PDF: a reportlab document with the same headings, tables (one row per period
    per measure) and bar charts, in standard Helvetica, no styling."""
    import io

    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

    styles = getSampleStyleSheet()
    story = [Paragraph("Summary", styles["Title"])]
    for code in rows[-1]["measures"]:
        drawing = Drawing(400, 150)
        chart = VerticalBarChart()
        chart.data = [[(r["measures"][code]["total"] or 0) for r in rows]]
        chart.categoryAxis.categoryNames = [r["period"] for r in rows]
        drawing.add(chart)
        table = [["Period", "Total", "Organisations", "Change", "Running total"]] + [
            [
                Paragraph(r["period"], styles["Normal"]),
                *[Paragraph(str(r["measures"][code][k]), styles["Normal"]) for k in ("total", "contributors")],
                *[Paragraph(str(r["measures"][code][k]), styles["Normal"]) for k in ("change", "running_total")],
            ]
            for r in rows
        ]
        story += [Paragraph(code, styles["Heading2"]), drawing, Table(table, repeatRows=1)]
    completeness = [["Period", "Expected", "Received", "On time", "Late", "Missing", "Homes"]] + [
        [str(r[k]) for k in ("period", "expected", "received", "on_time", "late", "missing", "homes_covered")]
        for r in rows
    ]
    story.append(Table(completeness))
    out = io.BytesIO()
    SimpleDocTemplate(out).build(story)
    return out.getvalue()


def measure(url: str, instance, organisations: int, months: int, runs: int) -> dict:
    fresh_database(url, instance)
    app = in_process_app(url, instance)
    programme_id, email = populate(app, organisations, months)
    from app.extensions import db
    from app.models import ImpactReturn, Programme
    from app.pdf.returns_report import build_summary
    from app.services.returns import totals

    figures: dict = {"organisations": organisations, "periods": months, "measures": len(CODES)}
    with app.app_context():
        programme = db.session.get(Programme, programme_id)
        series = lambda: totals.series(programme)  # noqa: E731
        # the floor: reading every counted return's figures once, with one plain query and nothing done to them
        bare = lambda: db.session.execute(  # noqa: E731
            sa.select(ImpactReturn.period_id, ImpactReturn.organisation_id, ImpactReturn.values).where(
                ImpactReturn.programme_id == programme_id
            )
        ).all()
        figures["totals_statements"] = _counted(db.engine, series)
        figures["totals_ms"], figures["bare_query_ms"] = _alternate(series, bare, runs)
        rows = totals.for_members(totals.series(programme))
        pdf = lambda: build_summary("Bench", "Body", rows, sector_homes=None, generated_at=datetime.now(UTC))  # noqa: E731
        figures["summary_pdf_ms"], figures["bare_pdf_ms"] = _alternate(pdf, lambda: bare_pdf(rows), max(runs // 2, 1))
        db.session.remove()
    client = app.test_client()
    from bench.common import csrf_token

    page = client.get("/login")
    client.post("/login", data={"csrf_token": csrf_token(page.text), "email": email, "password": "bench-password-1"})
    with app.app_context():
        engine = db.engine
    dashboard = lambda: client.get(f"/programmes/{programme_id}")  # noqa: E731
    assert dashboard().status_code == 200
    figures["dashboard_statements"] = _counted(engine, dashboard)

    def bare_in_context():
        with app.app_context():
            bare()

    figures["dashboard_ms"], figures["dashboard_bare_ms"] = _alternate(dashboard, bare_in_context, runs)
    return {
        k: (round(statistics.median(v), 1), round(percentile(v, 95), 1)) if isinstance(v, list) else v
        for k, v in figures.items()
    }


#: the targets: the totals and the dashboard close to the floor of reading the same rows once; the summary PDF
#: close to a bare reportlab document of the same tables and charts; statements the same at every size.
TOTALS_RATIO, DASHBOARD_RATIO, PDF_RATIO = 1.5, 2.0, 2.0


def rows_for(results: list[dict]) -> list[dict]:
    out = []
    largest = max(r["organisations"] for r in results)
    constant = len({(r["totals_statements"], r["dashboard_statements"]) for r in results}) == 1
    for r in results:
        case = f"{r['database']}, {r['organisations']:,} orgs × {r['periods']} periods × {r['measures']} measures"
        big = r["organisations"] == largest

        def ratio(a, b):
            return round(a[0] / b[0], 2) if b[0] else None

        for measure_name, key, bare_key, target in (
            ("totals (series) median / p95 ms vs reading the rows", "totals_ms", "bare_query_ms", TOTALS_RATIO),
            (
                "dashboard page median / p95 ms vs reading the rows",
                "dashboard_ms",
                "dashboard_bare_ms",
                DASHBOARD_RATIO,
            ),
            ("summary PDF median / p95 ms vs a bare reportlab document", "summary_pdf_ms", "bare_pdf_ms", PDF_RATIO),
        ):
            got = ratio(r[key], r[bare_key])
            out.append(
                row(
                    "returns_totals",
                    case,
                    measure_name,
                    f"{r[key][0]} / {r[key][1]}",
                    f"{r[bare_key][0]} / {r[bare_key][1]}",
                    got,
                    f"ratio ≤ {target:g} at {largest:,}" if big else "",
                    (got is not None and got <= target) if big else None,
                )
            )
        out.append(
            row(
                "returns_totals",
                case,
                "SQL statements: totals, dashboard page",
                f"{r['totals_statements']}, {r['dashboard_statements']}",
                target="the same at every size",
                met=constant,
            )
        )
    return out


def main(small: bool = False) -> dict:
    sizes = [(100, 24), (400, 24)] if small else [(500, 24), (2000, 24)]
    runs = 5 if small else 7
    results = []
    with workdir("returns") as work:
        # SQLite only: the figures are the ratio to the bare read in the same run, on the same database
        for name, url in database_targets(work, "returns")[:1]:
            for organisations, months in sizes:
                result = {"database": name, **measure(url, work / f"i{organisations}", organisations, months, runs)}
                print(json.dumps(result), flush=True)
                results.append(result)
    return {"scenario": "returns_totals", "sizes": sizes, "results": results, "rows": rows_for(results)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true")
    args = parser.parse_args()
    print(json.dumps({k: v for k, v in main(small=args.small).items() if k != "rows"}, indent=1, default=str))
