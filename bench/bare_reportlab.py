"""Baseline for benchmarks: a bare reportlab document with one members-sized table and nothing else."""

from __future__ import annotations

import io
import random

from reportlab.lib.pagesizes import A4
from reportlab.platypus import SimpleDocTemplate, Table

COLUMNS = ["Organisation", "Identifier", "Regions", "Homes", "Amount", "Status", "Letter"]
WIDTHS = [124, 72, 92, 50, 62, 46, 36]  # the bid pack's members table


def bare_pdf(n_members: int) -> bytes:
    """A4, SimpleDocTemplate, one Table of ``n_members`` rows with the members table's columns, repeatRows=1."""
    rng = random.Random(n_members)
    rows = [COLUMNS]
    for i in range(n_members):
        rows.append(
            [
                f"Member Housing Association {i + 1}",
                f"GB-SHPE-L{i % 10000:04d}",
                "North West, Yorkshire",
                f"{rng.randint(400, 75_000):,}",
                f"£{rng.randint(1, 900) * 1000:,}",
                "Confirmed",
                "Yes",
            ]
        )
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build([Table(rows, colWidths=WIDTHS, repeatRows=1)])
    return buffer.getvalue()
