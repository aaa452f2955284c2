"""The recorded outcome is frozen into the bid pack versions generated after it: a version made before the
outcome has none, the next one prints it on the cover and carries it in the summary sheet and the manifest."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace
from datetime import date

import openpyxl
import pytest

from app.pdf import build_pdf
from app.pdf.data import PackOutcome
from app.services import outcomes, packs
from tests.delivery.helpers import WON, submitted_bid
from tests.pdf.sample import make_pack
from tests.pdf.test_builder import page_texts

LOST = {"result": "lost", "reason": "The fund was oversubscribed.", "feedback": "Apply again in spring."}


def _documents(pack) -> tuple[str, dict, dict]:
    """The PDF's cover text, the XLSX summary sheet (label → value) and the manifest of one stored pack."""
    cover = page_texts(packs.read_file(pack, "pdf"))[0]
    sheet = openpyxl.load_workbook(io.BytesIO(packs.read_file(pack, "xlsx")))["Summary"]
    summary = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]}
    with zipfile.ZipFile(io.BytesIO(packs.read_file(pack, "zip"))) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    return " ".join(cover.split()), summary, manifest


def test_a_pack_before_the_outcome_has_none_and_the_next_version_shows_the_award(ctx):
    bid, _users = submitted_bid(2)
    before = packs.generate_pack(bid.created_by, bid)
    outcomes.record_outcome(bid.created_by, bid, WON)
    after = packs.generate_pack(bid.created_by, bid)
    assert (before.version, after.version) == (1, 2)

    cover, summary, manifest = _documents(before)
    assert "Outcome" not in cover and "Outcome" not in summary and manifest["outcome"] is None

    cover, summary, manifest = _documents(after)
    assert "Outcome: Won" in cover
    assert "Amount awarded: £5,000,000" in cover and "Award date: 1 December 2026" in cover
    assert "Funder's reference: CMF-2026-0042" in cover and "Spend by: 31 December 2027" in cover
    assert summary["Outcome"] == "Won" and summary["Amount awarded (£)"] == 5_000_000
    assert summary["Funder's reference"] == "CMF-2026-0042" and summary["Spend by"] == "31 December 2027"
    assert manifest["outcome"] == {
        "result": "won",
        "amount_awarded_pence": 500_000_000,
        "award_date": "2026-12-01",
        "grant_reference": "CMF-2026-0042",
        "spend_by": "2027-12-31",
        "reason": "",
    }
    # the earlier version's stored files are untouched by the outcome
    assert _documents(before)[2]["outcome"] is None


def test_a_lost_bid_s_next_version_gives_the_reason(ctx):
    bid, _users = submitted_bid(1)
    outcomes.record_outcome(bid.created_by, bid, LOST)
    pack = packs.generate_pack(bid.created_by, bid)
    cover, summary, manifest = _documents(pack)
    assert "Outcome: Lost" in cover and "Reason: The fund was oversubscribed." in cover
    assert "Amount awarded" not in cover and "Apply again" not in cover  # feedback stays with the convenor
    assert summary["Reason"] == "The fund was oversubscribed."
    assert manifest["outcome"]["result"] == "lost" and manifest["outcome"]["amount_awarded_pence"] is None


@pytest.mark.parametrize("outcome", [LOST, {"result": "withdrawn"}])
def test_a_pack_after_a_lost_or_withdrawn_outcome_lists_no_released_pledge(ctx, outcome):
    bid, _users = submitted_bid(2)
    before = packs.generate_pack(bid.created_by, bid)
    outcomes.record_outcome(bid.created_by, bid, outcome)
    after = packs.generate_pack(bid.created_by, bid)
    assert (before.figures["members"], before.figures["total_pence"]) == (2, 50_000_000)
    assert (after.figures["members"], after.figures["total_pence"], after.figures["member_list"]) == (0, 0, [])
    cover, summary, _manifest = _documents(after)
    assert "Pledges: Released" in cover and summary["Pledges"].startswith("Released")
    assert {m["name"] for m in before.figures["member_list"]} == {"Delivery Homes 1", "Delivery Homes 2"}


def test_a_won_bid_s_pack_still_lists_its_pledges(ctx):
    bid, _users = submitted_bid(2)
    outcomes.record_outcome(bid.created_by, bid, WON)
    pack = packs.generate_pack(bid.created_by, bid)
    assert (pack.figures["members"], pack.figures["total_pence"]) == (2, 50_000_000)
    assert "Pledges:" not in _documents(pack)[0]


def test_a_corrected_outcome_shows_in_the_next_version_only(ctx):
    bid, _users = submitted_bid(1)
    outcomes.record_outcome(bid.created_by, bid, WON)
    won = packs.generate_pack(bid.created_by, bid)
    outcome = outcomes.outcome_of(bid)
    outcomes.record_outcome(bid.created_by, bid, LOST, expected_version=outcome.version)
    lost = packs.generate_pack(bid.created_by, bid)
    assert "Outcome: Won" in _documents(won)[0] and "Outcome: Lost" in _documents(lost)[0]


@pytest.mark.parametrize(
    "outcome",
    [
        PackOutcome("won", 123_456_789, date(2027, 1, 4), "REF/1", date(2028, 3, 31)),
        PackOutcome("lost", reason="Reason " * 40),
        PackOutcome("withdrawn"),
    ],
)
def test_the_outcome_keeps_the_cover_to_one_page(outcome):
    data = make_pack(n_members=39)
    plain, with_outcome = (page_texts(build_pdf(d, [])) for d in (data, replace(data, outcome=outcome)))
    assert len(with_outcome) == len(plain)
    assert f"Outcome: {outcome.result.capitalize()}" in " ".join(with_outcome[0].split())
    assert "Outcome:" not in plain[0]
