"""Bid pack generation time for 39, 500 and 2,000 members, against a bare reportlab table of the same size.

Run alone: ``.venv/bin/python -m bench.packs`` (prints a table; ``main()`` returns the figures as a dict).

For each size, in alternating runs so that both see the same machine load:
- ``bare``: bench.bare_reportlab.bare_pdf(n), one plain Table, the floor for any reportlab document;
- ``pdf``: app.pdf.build_pdf on a PackData of n members (cover, charts, tile map, members table, statements);
- ``zip``: every document of a pack (PDF, XLSX, CSV and the ZIP with its manifest), as generate_pack builds them;
- ``service``: packs.generate_pack end to end on a SQLite database of n members (queries, documents,
  digests, files written atomically, the BidPack row), one run per size.
The ratio is pdf / bare (median of the runs). Target: within 2x and under 3 s at 2,000 members.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.bare_reportlab import bare_pdf
from bench.common import row

SIZES = (39, 500, 2000)
RUNS = {39: 5, 500: 3, 2000: 3}
REGION_CODES = ["NE", "NW", "YH", "EM", "WM", "EE", "LON", "SE", "SW", "WAL", "SCO", "NI"]
STATEMENTS = [
    "Small grants of £1,000 to £10,000 for tenant-led community groups: food clubs, youth sport, warm spaces.",
    "Match funding for local charities tackling fuel poverty and digital exclusion on our estates, chosen with our "
    "tenants' panel.",
    "A community chest for grassroots groups in the neighbourhoods we serve, with a focus on older residents.",
]


def pack_data(n: int):
    """A PackData of ``n`` members shaped like the demo: varied amounts, regions, statements, some letters."""
    from app.pdf.data import PackData, PackMember, PackTimelinePoint
    from app.regions import REGIONS

    rng = random.Random(n)
    start = datetime(2026, 7, 20, 9, tzinfo=UTC)
    members = []
    timeline = []
    running = 0
    for i in range(n):
        amount = rng.randint(20, 1500) * 1_000_00
        codes = sorted(rng.sample(REGION_CODES, rng.choice([1, 1, 1, 2, 3])), key=REGION_CODES.index)
        at = start + timedelta(minutes=20 * i)
        running += amount
        timeline.append(PackTimelinePoint(at, running))
        members.append(
            PackMember(
                organisation_name=f"Member Housing Association {i + 1}",
                identifier=f"GB-SHPE-L{i % 10000:04d}",
                regions=tuple(REGIONS[c] for c in codes),
                homes=rng.randint(400, 75_000),
                amount_pence=amount,
                status="confirmed" if i % 3 else "indicative",
                statement=STATEMENTS[i % 3],
                pledged_at=at,
                updated_at=at,
                letter_sha256=f"{i:064x}" if i % 2 else None,
                letter_filename=f"letters/Member-Housing-Association-{i + 1}-{i:08x}.pdf" if i % 2 else None,
                in_grace=i % 97 == 5,
            )
        )
    return PackData(
        bid_id=1,
        bid_title="Community Match Fund consortium bid",
        scheme="Community Match Fund 2026",
        funder_name="Department for Communities",
        convenor_name="Community Housing Alliance",
        case="Thirty-nine social landlords commit match funding.\n\nEvery pound pledged is matched by the scheme.",
        terms="Members commit the match funding pledged.",
        target_pence=6_000_000_00,
        target_homes=1_000_000,
        deadline=start + timedelta(days=14),
        generated_at=start + timedelta(days=15),
        generated_by="Sam Convenor, Community Housing Alliance",
        version=1,
        members=tuple(members),
        timeline=tuple(timeline),
        opened_at=start,
    )


def _time(fn) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def builders(n: int, runs: int) -> dict:
    """Alternating bare / pdf / zip runs on the same data; medians in seconds."""
    from app.pdf import build_pdf
    from app.services.packs import build_documents

    data = pack_data(n)
    build_pdf(data)  # warm up fonts, styles and imports outside the timed runs
    bare_pdf(n)
    bare, pdf, whole = [], [], []
    for _ in range(runs):
        bare.append(_time(lambda: bare_pdf(n)))
        pdf.append(_time(lambda: build_pdf(data)))
        whole.append(_time(lambda: build_documents(data, {})))
    pages = _pages(build_pdf(data))
    result = {
        "bare_s": round(statistics.median(bare), 3),
        "pdf_s": round(statistics.median(pdf), 3),
        "zip_s": round(statistics.median(whole), 3),
        "pdf_pages": pages,
        "runs": runs,
    }
    result["ratio"] = round(result["pdf_s"] / result["bare_s"], 2)
    return result


def _pages(content: bytes) -> int | None:
    try:
        import io

        from pypdf import PdfReader
    except ImportError:  # pypdf is a development dependency
        return None
    return len(PdfReader(io.BytesIO(content)).pages)


def service(n: int) -> float:
    """generate_pack end to end on a fresh SQLite database with ``n`` member pledges (one run)."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from config import TestConfig

    with tempfile.TemporaryDirectory(prefix="bench-packs-") as folder:
        root = Path(folder)
        app = create_app(
            TestConfig,
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{root / 'bench.db'}",
            UPLOAD_DIR=str(root / "uploads"),
            PACK_DIR=str(root / "packs"),
        )
        with app.app_context():
            upgrade()
            bid, convenor = _seed(n)
            from app.services import packs

            seconds = _time(lambda: packs.generate_pack(convenor, bid))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        return round(seconds, 3)


def _seed(n: int):
    """An open bid whose ``n`` members accepted and pledged over its week, played through the services."""
    from flask import current_app

    from app.extensions import db
    from app.models import Bid, User
    from bench.data import populate

    data = populate(current_app._get_current_object(), organisations=n, bids=[n], pledge_share=1.0)
    return db.session.get(Bid, data.bid_ids[0]), db.session.scalar(db.select(User).filter_by(email=data.convenor_email))


def main(sizes: tuple[int, ...] = SIZES) -> dict:
    results: dict = {}
    for n in sizes:
        results[n] = builders(n, RUNS.get(n, 3))
        results[n]["service_s"] = service(n)
    print(f"{'members':>8} {'bare s':>8} {'pdf s':>8} {'ratio':>6} {'zip s':>8} {'service s':>10} {'pages':>6}")
    for n, r in results.items():
        print(
            f"{n:>8,} {r['bare_s']:>8.3f} {r['pdf_s']:>8.3f} {r['ratio']:>6.2f} {r['zip_s']:>8.3f} "
            f"{r['service_s']:>10.3f} {r['pdf_pages'] or '':>6}"
        )
    results["rows"] = [
        line
        for n, r in results.items()
        for line in (
            row(
                "packs",
                f"{n:,} members",
                "PDF seconds vs bare reportlab table",
                r["pdf_s"],
                r["bare_s"],
                r["ratio"],
                target="ratio ≤ 2, < 3 s at 2,000",
                met=r["ratio"] <= 2 and (n < 2000 or r["pdf_s"] < 3),
            ),
            row("packs", f"{n:,} members", "whole ZIP pack seconds (PDF, XLSX, CSV, manifest)", r["zip_s"]),
            row("packs", f"{n:,} members", "generate_pack through the service, seconds", r["service_s"]),
        )
    ]
    return results


if __name__ == "__main__":
    sizes = tuple(int(a) for a in sys.argv[1:]) or SIZES
    main(sizes)
