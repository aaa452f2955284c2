"""Impact returns at size: the totals service, the convenor's dashboard page (in-process) and the summary PDF at
2,000 organisations × 24 periods × 9 measures, each beside a bare baseline in the same run (reading the same
rows with one plain query; a reportlab document of the same number of tables). Run alone:
``python -m bench.returns_totals [--small]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy import event

from bench.common import database_targets, fresh_database, in_process_app, percentile, workdir

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
        return programme.id, convenor.email


def _timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


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
        bare = lambda: db.session.execute(  # noqa: E731
            sa.select(ImpactReturn.period_id, ImpactReturn.organisation_id, ImpactReturn.values).where(
                ImpactReturn.programme_id == programme_id
            )
        ).all()
        figures["totals_ms"] = _timed(series, runs)
        figures["bare_query_ms"] = _timed(bare, runs)
        rows = totals.for_members(totals.series(programme))
        figures["summary_pdf_ms"] = _timed(
            lambda: build_summary("Bench", "Body", rows, sector_homes=None, generated_at=datetime.now(UTC)),
            max(runs // 2, 1),
        )
        db.session.remove()
    client = app.test_client()
    from bench.common import csrf_token

    page = client.get("/login")
    client.post("/login", data={"csrf_token": csrf_token(page.text), "email": email, "password": "bench-password-1"})
    with app.app_context():
        engine = db.engine
    seen: list[str] = []
    listener = lambda *a: seen.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    response = client.get(f"/programmes/{programme_id}")
    event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200, response.status_code
    figures["dashboard_statements"] = len(seen)
    figures["dashboard_ms"] = _timed(lambda: client.get(f"/programmes/{programme_id}"), max(runs // 2, 1))
    return {
        k: (round(statistics.median(v), 1), round(percentile(v, 95), 1)) if isinstance(v, list) else v
        for k, v in figures.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true")
    args = parser.parse_args()
    sizes = [(100, 24), (400, 24)] if args.small else [(500, 24), (2000, 24)]
    with workdir("returns") as work:
        for name, url in database_targets(work, "returns")[:1]:
            for organisations, months in sizes:
                result = measure(url, work / f"i{organisations}", organisations, months, 5)
                print(json.dumps({"database": name, **result}), flush=True)


if __name__ == "__main__":
    main()
