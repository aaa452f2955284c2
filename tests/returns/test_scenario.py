"""The 39-organisation scenario: a combined March–April 2020 period, then May and June; some late, one never,
one amended after a query, a stock measure. Every figure below was worked out by hand (see each comment)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.infra import clock
from app.services.returns import periods, review, totals
from app.services.returns.returns import save_return
from tests.returns.support import network, programme_for

DUE_P1 = datetime(2020, 5, 15, 23, 0, tzinfo=UTC)  # end of 15 May, BST
DUE_P2 = datetime(2020, 6, 15, 23, 0, tzinfo=UTC)
DUE_P3 = datetime(2020, 7, 15, 23, 0, tzinfo=UTC)


def _submit(user, programme, key, values, at):
    with clock.frozen(at):
        period = periods.find_period(programme, key)
        return save_return(user, programme, period, values, {}, "", submit=True, expected_version=None)


@pytest.fixture
def scenario(ctx):
    convenor, members = network(39)
    with clock.frozen(datetime(2020, 5, 1, 9, tzinfo=UTC)):
        programme = programme_for(convenor, members)
    # March–April: landlords 1–36 report CALLS 10, ARREARS 5; 1–10 also FOOD 2. 31–36 after the due moment.
    for i, user in enumerate(members[:36], start=1):
        at = DUE_P1 + timedelta(seconds=1) if i > 30 else DUE_P1 - timedelta(seconds=1)
        _submit(user, programme, "2020-03..2020-04", {"CALLS": 10, "FOOD": 2 if i <= 10 else None, "ARREARS": 5}, at)
    with clock.frozen(datetime(2020, 6, 1, 9, tzinfo=UTC)):
        assert [p.key for p in periods.ensure_periods(programme)] == ["2020-05"]
    # May: 1–38 report CALLS 20, ARREARS 4; 1–10 FOOD 3; 38 late. Landlord 1 is queried and amends CALLS to 25.
    for i, user in enumerate(members[:38], start=1):
        at = DUE_P2 + timedelta(hours=2) if i == 38 else DUE_P2 - timedelta(days=2)
        ret = _submit(user, programme, "2020-05", {"CALLS": 20, "FOOD": 3 if i <= 10 else None, "ARREARS": 4}, at)
        if i == 1:
            first = ret
    with clock.frozen(DUE_P2 - timedelta(days=1)):
        review.query(convenor, programme, first.id, "Calls look low against your rota: please check.")
    _submit(members[0], programme, "2020-05", {"CALLS": 25, "FOOD": 3, "ARREARS": 4}, DUE_P2 + timedelta(days=3))
    with clock.frozen(datetime(2020, 7, 1, 9, tzinfo=UTC)):
        periods.ensure_periods(programme)
    # June: 1–37 report CALLS 10, ARREARS 3; only 1–2 report FOOD (5 each). 38 misses June; 39 never reports.
    for i, user in enumerate(members[:37], start=1):
        values = {"CALLS": 10, "FOOD": 5 if i <= 2 else None, "ARREARS": 3}
        _submit(user, programme, "2020-06", values, DUE_P3 - timedelta(days=1))
    return programme


def test_every_figure_matches_the_hand_computed_one(scenario):
    rows = {r["period"]: r for r in totals.series(scenario, medians=True)}
    assert list(rows) == ["2020-03..2020-04", "2020-05", "2020-06"]
    p1, p2, p3 = rows["2020-03..2020-04"], rows["2020-05"], rows["2020-06"]
    # completeness: 39 expected; P1 36 in (6 late); P2 38 (one late; landlord 1's amendment after the query
    # keeps its first, on-time submission); P3 37.
    assert (p1["expected"], p1["received"], p1["on_time"], p1["late"], p1["missing"]) == (39, 36, 30, 6, 3)
    assert (p2["expected"], p2["received"], p2["on_time"], p2["late"], p2["missing"]) == (39, 38, 37, 1, 1)
    assert (p3["expected"], p3["received"], p3["on_time"], p3["late"], p3["missing"]) == (39, 37, 37, 0, 2)
    # homes: landlord i has 1,000 × i. P1: 1000 × (1+…+36) = 666,000; P2 741,000; P3 703,000.
    assert [p1["homes_covered"], p2["homes_covered"], p3["homes_covered"]] == [666_000, 741_000, 703_000]
    # medians: P2 37 × 20 and one 25 → 20; P1 every ARREARS is 5
    assert p2["measures"]["CALLS"]["median"] == 20 and p1["measures"]["ARREARS"]["median"] == 5
    calls = [r["measures"]["CALLS"] for r in (p1, p2, p3)]
    # P1 36 × 10 = 360. P2 37 × 20 + 25 = 765. P3 37 × 10 = 370.
    assert [c["total"] for c in calls] == [360, 765, 370]
    assert [c["contributors"] for c in calls] == [36, 38, 37]
    assert [c["change"] for c in calls] == [None, 405, -395]
    assert [c["change_pct"] for c in calls] == [None, 112.5, -51.6]  # 405/360; −395/765 = −51.63%
    # like for like: P2 over 1–36: (35 × 20 + 25) − 36 × 10 = 365. P3 over 1–37: 370 − (36 × 20 + 25) = −375.
    assert [c["like_for_like_change"] for c in calls] == [None, 365, -375]
    assert [c["running_total"] for c in calls] == [360, 1125, 1495]
    arrears = [r["measures"]["ARREARS"] for r in (p1, p2, p3)]
    assert [a["total"] for a in arrears] == [180, 152, 111]  # 36 × 5, 38 × 4, 37 × 3
    assert [a["change"] for a in arrears] == [None, -28, -41]
    assert [a["like_for_like_change"] for a in arrears] == [None, -36, -37]  # 36×4−36×5; 37×3−37×4
    assert [a["running_total"] for a in arrears] == [None, None, None]  # a stock is never summed across months
    food = [r["measures"]["FOOD"] for r in (p1, p2, p3)]
    assert [f["total"] for f in food] == [20, 30, 10]
    assert [f["contributors"] for f in food] == [10, 10, 2]
    assert p1["missing_organisations"] and len(p1["missing_organisations"]) == 3


def test_members_see_small_numbers_suppressed(scenario):
    rows = {r["period"]: r for r in totals.for_members(totals.series(scenario, medians=True))}
    june_food = rows["2020-06"]["measures"]["FOOD"]
    # two contributors: the total, the change and the running total (which would give it away) are hidden
    assert june_food["suppressed"] is True
    assert june_food["total"] is None and june_food["change"] is None and june_food["running_total"] is None
    assert june_food["like_for_like_change"] is None and june_food["median"] is None
    assert rows["2020-06"]["measures"]["CALLS"]["total"] == 370
    assert rows["2020-06"]["missing_organisations"] is None


def test_the_query_is_in_the_return_history(scenario):
    from app.services.returns.programmes import participants
    from app.services.returns.returns import current_return, revisions

    first_org = next(o.id for o in participants(scenario) if o.name == "Landlord 01")
    ret = current_return(periods.find_period(scenario, "2020-05"), first_org)
    assert [r.action for r in reversed(revisions(ret))] == ["submitted", "queried", "resubmitted"]
    assert ret.values["CALLS"] == 25 and ret.late is False


def test_the_summary_report_carries_the_members_figures(scenario):
    import io

    from pypdf import PdfReader

    from app.pdf.returns_report import build_summary

    rows = totals.for_members(totals.series(scenario))
    pdf = build_summary(
        scenario.title, "Network Body", rows, sector_homes=2_000_000, generated_at=datetime(2020, 7, 20, tzinfo=UTC)
    )
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    text = " ".join(text.split())
    assert "In 2020-06, 37 of 39 organisations reported, covering 703,000 homes" in text
    assert "35.1% of the sector" in text, text[:600]  # 703,000 / 2,000,000
    assert "1,495" in text and "not added (a level)" in text and "fewer than 3" in text
    fonts = {str(f) for page in PdfReader(io.BytesIO(pdf)).pages for f in page["/Resources"]["/Font"].values()}
    assert fonts  # embedded fonts, as the bid pack


def test_a_social_value_appears_only_with_the_convenors_own_unit_values(ctx):
    convenor, members = network(3)
    measures = [
        {"code": "CALLS", "label": "Calls", "unit": "count", "kind": "flow", "required": True},
        {
            "code": "MEALS",
            "label": "Meals",
            "unit": "count",
            "kind": "flow",
            "required": True,
            "unit_value_pence": 350,
            "unit_value_source": "Our 2024 meal cost study (own licence)",
        },
    ]
    with clock.frozen(datetime(2020, 5, 1, tzinfo=UTC)):
        programme = programme_for(convenor, members, measures=measures)
        for user in members:
            save_return(
                user,
                programme,
                programme.periods[0],
                {"CALLS": 5, "MEALS": 10},
                {},
                "",
                submit=True,
                expected_version=0,
            )
    cells = totals.series(programme)[0]["measures"]
    assert cells["CALLS"]["social_value_pence"] is None
    assert cells["MEALS"]["social_value_pence"] == 30 * 350
    assert cells["MEALS"]["social_value_source"].startswith("Our 2024")


def test_only_stories_shared_with_permission_are_quoted(ctx):
    convenor, members = network(3)
    with clock.frozen(datetime(2020, 5, 1, tzinfo=UTC)):
        programme = programme_for(convenor, members)
        period = programme.periods[0]
        for n, user in enumerate(members):
            save_return(
                user,
                programme,
                period,
                {"CALLS": 1, "FOOD": 1, "ARREARS": 1},
                {},
                f"Story {n}",
                submit=True,
                expected_version=0,
                story_shareable=n != 1,
            )
    stories = totals.shared_stories(programme, [period.key])
    assert [(name, text) for name, _, text in stories] == [("Landlord 01", "Story 0"), ("Landlord 03", "Story 2")]


def test_whole_sector_figures_are_scaled_up_by_homes_and_labelled_an_estimate(scenario):
    import io

    from pypdf import PdfReader

    from app.pdf.returns_report import build_summary

    assert totals.series(scenario)[-1]["measures"]["CALLS"]["sector_estimate"] is None  # no sector total entered
    scenario.sector_homes = 1_406_000  # twice the 703,000 homes of June's 37 reporters
    rows = totals.series(scenario)
    june = rows[-1]
    assert june["share_of_sector"] == 50.0
    assert june["measures"]["CALLS"]["sector_estimate"] == 740  # 370 × 1,406,000 / 703,000
    assert june["measures"]["ARREARS"]["sector_estimate"] == 222  # 37 × 3 = 111, doubled
    members = totals.for_members(rows)
    assert members[-1]["measures"]["FOOD"]["sector_estimate"] is None  # from two: suppressed with its total
    pdf = build_summary(
        scenario.title, "Network Body", members, sector_homes=1_406_000, generated_at=datetime(2020, 7, 20, tzinfo=UTC)
    )
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Whole sector: estimate" in text and "about 740 (estimate)" in text and "50.0%" in text
