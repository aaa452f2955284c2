"""``bench.run --only X`` keeps the other scenarios' rows in docs/benchmarks.md, merged by scenario."""

from datetime import UTC, datetime

from bench import run
from bench.common import row

INFO = {"cpus": "2"}


def _result(name: str, figure: int, measured: str) -> dict:
    return {
        "scenario": name,
        "measured": measured,
        "rows": [row(name, "case", "figure", figure, target="≤ 3", met=figure <= 3)],
    }


def test_only_one_scenario_keeps_the_others_rows_and_says_when_each_was_measured(tmp_path):
    path = tmp_path / "benchmarks.md"
    started = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    both = [_result("rush", 5, "2026-12-01 10:00 UTC"), _result("dashboard", 2, "2026-12-01 10:05 UTC")]
    run.write_markdown(path, both, ["dashboard: a note"], run.table_rows(both), [], started, INFO)
    path.write_text(path.read_text() + "\n## Notes written by hand\n\nKept as they are.\n")

    again = [_result("rush", 1, "2026-12-02 09:00 UTC")]
    run.write_markdown(path, again, [], run.table_rows(again), ["--only", "rush"], started, INFO)
    text = path.read_text()
    table = [line for line in text.splitlines() if line.startswith("| rush") or line.startswith("| dashboard")]
    assert table == [
        "| rush | case | figure | 1 |  |  | ≤ 3 | yes |",
        "| dashboard | case | figure | 2 |  |  | ≤ 3 | yes |",
    ]
    assert "- `rush`: 2026-12-02 09:00 UTC by `python -m bench.run --only rush`" in text
    assert "- `dashboard`: 2026-12-01 10:05 UTC" in text
    assert "- dashboard: a note" in text
    assert text.rstrip().endswith("Kept as they are.")
    assert text.count("## Notes written by hand") == 1


def test_a_full_run_rewrites_the_file(tmp_path):
    path = tmp_path / "benchmarks.md"
    started = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    first = [_result("rush", 5, "x"), _result("dashboard", 2, "y")]
    run.write_markdown(path, first, [], run.table_rows(first), [], started, INFO)
    second = [_result("rush", 4, "z")]
    run.write_markdown(path, second, [], run.table_rows(second), [], started, INFO)
    assert "| dashboard" not in path.read_text()
