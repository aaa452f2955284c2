"""``make bench``: run every scenario found in bench/, print one table, write docs/benchmarks.md.

A scenario is a module ``bench/<name>.py`` with ``main() -> dict``; modules not there yet are skipped with
a note. ``main`` may take ``small=True`` (``--small``: fewer organisations and repeats, for a quick look).
The dict's ``rows`` (see ``bench.common.row``) make the table; ``notes`` are printed under it; the rest
is written, as JSON, to the details section of docs/benchmarks.md.

    python -m bench.run [--small] [--only rush,dashboard] [--output docs/benchmarks.md]

``--only`` measures those scenarios and merges them into the file: the other scenarios' rows, details and
notes are kept as they were, each scenario listed with when (and with what command, at what load) it was
last measured.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import re
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench.common import ROOT, load_average, machine

#: (module, what it measures), in the order they run.
SCENARIOS = [
    ("rush", "deadline rush: pledges and amendments from 32 clients vs the bare insert endpoint"),
    ("deadline_rush", "writes across the deadline: 300 writers from 6 s before to 3 s after, judged by receive time"),
    ("dashboard", "dashboard and totals at 39, 500, 2,000 and 5,000 members: latency and SQL statements"),
    ("live_fanout", "live fan-out: 200 and 1,000 open streams, CPU per pledge and commit-to-arrival latency"),
    ("packs", "bid pack PDF and ZIP vs a bare reportlab document of the same size"),
    ("directory", "directory at 5,000 organisations and 10,000 contacts: pages, SQL statements, a 10,000-row import"),
    ("scheduler_sweep", "scheduler: one sweep over 1,000 open bids with 100 invitees each"),
    ("pledge_cpu", "pledge write CPU in process: form GET, POST and API PUT vs the four-insert floor"),
    ("outbox_send", "sending the outbox over SMTP: ms per email vs the same messages over one connection, no database"),
    ("delivery", "after the bid: delivery figures and the validated 360Giving export at 20,000 grants vs bare SQL"),
    ("returns_totals", "impact returns at 2,000 organisations: totals, dashboard, summary PDF vs bare baselines"),
]
COLUMNS = ("scenario", "case", "measure", "project", "baseline", "ratio", "target", "met")


def run(only: set[str] | None, small: bool) -> tuple[list[dict], list[str]]:
    results, notes = [], []
    for name, description in SCENARIOS:
        if only and name not in only:
            continue
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bench.{name}":
                note = f"skipped {name}: bench/{name}.py is not in this tree yet ({description})"
            else:
                note = f"skipped {name}: it needs {exc.name}, which is not installed"
            print(note, flush=True)
            notes.append(note)
            continue
        print(f"== {name}: {description}", flush=True)
        kwargs = {"small": small} if "small" in inspect.signature(module.main).parameters else {}
        started = time.perf_counter()
        try:
            result = module.main(**kwargs)
        except Exception:  # one broken scenario must not hide the others' figures
            error = traceback.format_exc()
            print(error, file=sys.stderr, flush=True)
            notes.append(f"{name} failed: {error.strip().splitlines()[-1]}")
            continue
        result = dict(result or {})
        result.setdefault("scenario", name)
        result["seconds"] = round(time.perf_counter() - started, 1)
        result["measured"] = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        result["load_average_after"] = load_average()
        results.append(result)
        notes.extend(f"{name}: {n}" for n in result.get("notes", []))
    return results, notes


def table_rows(results: list[dict]) -> list[dict]:
    rows = []
    for result in results:
        if result.get("rows"):
            rows.extend(result["rows"])
            continue
        # A scenario without rows: show its top-level numbers.
        for key, value in result.items():
            if isinstance(value, int | float) and key != "seconds":
                rows.append({"scenario": result["scenario"], "case": "", "measure": key, "project": value})
    return rows


def _cell(value) -> str:
    if value is None:
        return ""
    if value is True:
        return "yes"
    if value is False:
        return "**NO**"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value).replace("|", "\\|")


def markdown_table(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        lines.append("| " + " | ".join(_cell(r.get(c)) for c in COLUMNS) + " |")
    return "\n".join(lines)


def text_table(rows: list[dict]) -> str:
    cells = [[c for c in COLUMNS]] + [[_cell(r.get(c)).replace("**", "") for c in COLUMNS] for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)) for line in cells)


def commands(results: list[dict], argv: list[str]) -> list[str]:
    from bench.common import POSTGRES_URL

    out = [
        "make bench    # = .venv/bin/python -m bench.run" + "".join(f" {a}" for a in argv),
        "# every server and `flask db upgrade` ran with this environment (bench.common.server_env):",
        "#   APP_ENV=production SECRET_KEY=<random per run> DATABASE_URL=<sqlite:////tmp/bench-*/<scenario>.db"
        f" or {POSTGRES_URL}>",
        "#   MAIL_BACKEND=dummy LOGIN_RATE_LIMIT='100000 per minute' SCHEDULER_ENABLED=0 LOG_LEVEL=WARNING",
        "flask db upgrade    # after emptying the database, before each scenario's data is loaded",
    ]
    for result in results:
        for db in result.get("databases", []):
            for key, value in (db.get("commands") or {"project": db.get("command")}).items():
                if value:
                    out.append(f"gunicorn {value}    # {result['scenario']}: {key} server, {db.get('database')}")
    return list(dict.fromkeys(out))


def previous_file(path: Path) -> dict:
    """What an earlier docs/benchmarks.md holds, per scenario: its details (with rows and when measured), its
    notes; and any sections written by hand after the details (kept as they are)."""
    if not path.exists():
        return {"details": {}, "notes": [], "tail": ""}
    text = path.read_text()
    found = re.search(r"^## Details\n\n```json\n(.*?)\n```\n", text, re.S | re.M)
    details = json.loads(found.group(1)) if found else {}
    tail = text[found.end() :].lstrip("\n") if found else ""
    stamp = re.search(r"^Measured (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", text, re.M)
    table_rows: dict[str, list[dict]] = {}
    for line in text.splitlines():  # a file written before details kept their rows: read them from the table
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) == len(COLUMNS) and cells[0] not in ("scenario", "") and not set(cells[0]) <= {"-"}:
            table_rows.setdefault(cells[0], []).append(dict(zip(COLUMNS, cells, strict=True)))
    for name, detail in details.items():
        detail.setdefault("rows", table_rows.get(name, []))
        detail.setdefault("measured", f"{stamp.group(1)} UTC" if stamp else "earlier")
    notes_block = re.search(r"^## Notes\n\n(.*?)\n\n", text, re.S | re.M)
    notes = [n[2:] for n in notes_block.group(1).splitlines() if n.startswith("- ")] if notes_block else []
    return {"details": details, "notes": notes, "tail": tail}


def merged(results: list[dict], notes: list[str], earlier: dict) -> tuple[list[dict], list[str]]:
    """This run's scenarios, and every other scenario as the earlier file had it, in the scenarios' order."""
    fresh = {r["scenario"]: r for r in results}
    kept = {name: d for name, d in earlier["details"].items() if name not in fresh}
    order = [name for name, _ in SCENARIOS] + sorted(set(kept) - {name for name, _ in SCENARIOS})
    combined = [fresh.get(name) or {"scenario": name, **kept[name]} for name in order if name in fresh or name in kept]
    kept_notes = [n for n in earlier["notes"] if any(n.startswith((f"{k}:", f"skipped {k}:")) for k in kept)]
    return combined, kept_notes + notes


def write_markdown(path: Path, results, notes, rows, argv, started: datetime, info: dict | None = None) -> None:
    """Write the results; with ``--only``, merged into what the file already holds (see ``merged``)."""
    info = info or machine()
    invocation = " ".join(["python -m bench.run", *argv])
    earlier = previous_file(path) if "--only" in " ".join(argv) else {"details": {}, "notes": [], "tail": ""}
    for result in results:
        result["command"] = invocation
    results, notes = merged(results, notes, earlier)
    rows = table_rows(results)
    details = {r["scenario"]: r for r in results}
    when = [
        f"- `{r['scenario']}`: {r.get('measured', 'earlier')}"
        + (f" by `{r['command']}`" if r.get("command") else "")
        + (f", load average afterwards {r['load_average_after']}" if r.get("load_average_after") else "")
        for r in results
    ]
    text = [
        "# Benchmarks",
        "",
        f"Last written {started:%Y-%m-%d %H:%M} UTC by `{invocation}`; each scenario's rows are from the run",
        "listed for it below (`--only` measures some scenarios and keeps the others' rows as they were).",
        "Each scenario runs the project and its bare baseline in the same run, alternating, and reports the ratio:",
        "the machine is shared, so absolute times drift between runs; ratios and CPU per request drift less.",
        "How to read the table: bench/README.md. What the profiles showed and what was changed:",
        "docs/benchmark-findings.md.",
        "",
        "## When each scenario was measured",
        "",
        *when,
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in info.items()],
        "",
        "## Results",
        "",
        markdown_table(rows),
        "",
    ]
    if notes:
        text += ["## Notes", "", *[f"- {n}" for n in notes], ""]
    text += [
        "## Commands",
        "",
        "```",
        *commands(results, argv),
        "```",
        "",
        "## Details",
        "",
        "```json",
        json.dumps(details, indent=1, default=str),
        "```",
        "",
    ]
    if earlier["tail"]:
        text += [earlier["tail"].rstrip("\n"), ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(text))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description="Run the benchmarks and write docs/benchmarks.md.")
    parser.add_argument("--small", action="store_true", help="a quick, smaller run of each scenario")
    parser.add_argument("--only", help="comma-separated scenario names, e.g. rush,dashboard")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    only = set(args.only.split(",")) if args.only else None
    results, notes = run(only, args.small)
    rows = table_rows(results)
    print()
    print(text_table(rows))
    for note in notes:
        print("note:", note)
    write_markdown(Path(args.output), results, notes, rows, argv, started)
    print(f"\nwritten to {args.output}")
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
