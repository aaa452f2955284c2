"""CSV and XLSX exports: every field, exact totals, and no formula injection."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.exports import build_csv, build_xlsx
from app.exports.tabular import COLUMNS, FORMULA_TRIGGERS, safe_text
from tests.pdf.sample import make_pack

INJECTIONS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1:A2)", "\tTabbed", "\rReturned", "#N/A"]


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # BOM, so Excel reads UTF-8
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.fixture(scope="module")
def pack():
    return make_pack(39, names=[*INJECTIONS, "Null\x00Byte Homes", "Ça Va Housing & Co"])


@pytest.fixture(scope="module")
def csv_rows(pack):
    return read_csv(build_csv(pack))


def test_csv_has_every_column_and_one_row_per_member_plus_totals(pack, csv_rows):
    assert list(csv_rows[0].keys()) == [key for key, _label, _width in COLUMNS]
    assert len(csv_rows) == len(pack.members) + 1
    assert csv_rows[-1]["organisation"] == "Total"


def test_csv_totals_equal_the_sums_to_the_penny(pack, csv_rows):
    members, total = csv_rows[:-1], csv_rows[-1]
    assert int(total["amount_pence"]) == sum(m.amount_pence for m in pack.members)
    assert int(total["amount_pence"]) == sum(int(r["amount_pence"]) for r in members)
    assert Decimal(total["amount_gbp"]) == sum(Decimal(r["amount_gbp"]) for r in members)
    assert int(total["homes"]) == sum(m.homes for m in pack.members)


def test_csv_fields_are_in_plain_machine_forms(pack, csv_rows):
    ordinary = pack.members[len(INJECTIONS) + 2 :]  # the sample's own names, not the hostile ones
    member = next(m for m in ordinary if len(m.regions) > 1)
    row = next(r for r in csv_rows if r["organisation"] == member.organisation_name)
    assert row["regions"] == "; ".join(member.regions)
    assert row["amount_gbp"] == f"{member.amount_pence // 100}.{member.amount_pence % 100:02d}"
    assert row["pledged_at"] == member.pledged_at.isoformat(timespec="seconds")
    assert row["pledged_at"].endswith("+00:00")
    assert row["status"] in {"confirmed", "indicative"}
    assert row["in_grace"] in {"yes", "no"}
    assert all(re.fullmatch(r"\d+\.\d\d", r["amount_gbp"]) for r in csv_rows)


def test_csv_neutralises_formula_triggers_but_not_our_numbers(csv_rows):
    names = {r["organisation"] for r in csv_rows}
    assert '\'=HYPERLINK("http://x")' in names
    assert {"'+1+1", "'-2+3", "'@SUM(A1:A2)", "'\tTabbed", "'\nReturned"} <= names
    assert "NullByte Homes" in names  # NUL removed
    assert "Ça Va Housing & Co" in names  # ordinary text untouched
    for row in csv_rows:
        for value in row.values():
            assert not value.startswith(FORMULA_TRIGGERS), value


@settings(max_examples=40, deadline=None)
@given(name=st.text(max_size=40))
def test_any_name_is_neutralised_in_the_csv(name):
    data = make_pack(2, names=[name])
    rows = read_csv(build_csv(data))
    other = data.members[1].organisation_name
    cell = next(r["organisation"] for r in rows[:-1] if r["organisation"] != other)
    assert not cell.startswith(FORMULA_TRIGGERS)
    # Nothing is lost but unsafe control characters, and a quote is added only where needed.
    kept = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", "", name)
    expected = ("'" + kept if kept.startswith(FORMULA_TRIGGERS) else kept).replace("\r\n", "\n").replace("\r", "\n")
    assert cell == expected
    assert cell == safe_text(name)


@pytest.fixture(scope="module")
def workbook(pack):
    return openpyxl.load_workbook(io.BytesIO(build_xlsx(pack)))


def test_xlsx_sheets_frozen_header_and_filter(pack, workbook):
    assert workbook.sheetnames == ["Pledges", "Regions", "Summary"]
    ws = workbook["Pledges"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:M{len(pack.members) + 1}"
    assert [c.value for c in ws[1]] == [label for _key, label, _width in COLUMNS]
    assert ws.column_dimensions["A"].width >= 30


def test_xlsx_totals_are_numbers_equal_to_the_sums(pack, workbook):
    ws = workbook["Pledges"]
    header = [c.value for c in ws[1]]
    col = {label: i for i, label in enumerate(header)}
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    members, total = rows[:-1], rows[-1]
    assert total[col["Organisation"]] == "Total"
    pence = total[col["Amount (pence)"]]
    assert isinstance(pence, int) and pence == sum(m.amount_pence for m in pack.members)
    assert pence == sum(r[col["Amount (pence)"]] for r in members)
    assert round(Decimal(str(total[col["Amount (£)"]])) * 100) == pence
    assert total[col["Homes covered"]] == sum(m.homes for m in pack.members)
    assert all(isinstance(r[col["Homes covered"]], int) for r in members)
    money = ws.cell(row=2, column=col["Amount (£)"] + 1)
    assert money.number_format == '"£"#,##0.00'
    assert ws.cell(row=len(rows) + 1, column=1).font.bold


def test_xlsx_never_holds_a_formula_and_quotes_triggers(workbook):
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.coordinate
                assert cell.data_type != "e", cell.coordinate
    names = {c.value for c in workbook["Pledges"]["A"]}
    assert '\'=HYPERLINK("http://x")' in names
    assert "#N/A" in names  # stored as text, not as an error value
    assert "'@SUM(A1:A2)" in names


def test_xlsx_summary_carries_the_headline(pack, workbook):
    ws = workbook["Summary"]
    values = {row[0]: row[1] for row in ws.iter_rows(values_only=True) if row[0]}
    assert values["Match funding pledged (pence)"] == pack.total_pence
    assert values["Member organisations"] == len(pack.members)
    assert values["Homes covered"] == pack.total_homes
    assert values["Bid"] == pack.bid_title
