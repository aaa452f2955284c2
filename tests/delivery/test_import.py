"""Importing grants from CSV or XLSX: encodings and separators, pounds and dates as people write them, a report
of every bad row by line, and nothing saved unless every row passes."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from app.extensions import db
from app.models import AuditEvent, Grant
from app.services import grant_import
from app.services.errors import ValidationFailed
from app.services.grant_import import ImportRefused
from tests.delivery.helpers import won_bid

HEADER = "Recipient;Charity number;Company number;Amount;Award date;Title;Description;Local authority;GSS code;Region"
GOOD = [
    "Café Olé Community Group;;;£5,000;2027-01-15;Lunch club;Weekly lunches.;Manchester;E08000003;North West",
    "Tuesday Knitters;;;750.50;2027-02-01;Wool;Wool for a year.;;;NW",
    "Riverside Trust;0123456;;1,200;2027-03-01;Boat;A boat trip.;Cardiff;W06000015;WAL",
    "Build Ltd;;01234567;300;2027-03-02;Tools;Shared tools.;;;",
]


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Grant))


def test_a_windows_1252_semicolon_csv_imports_every_row(ctx):
    bid, users = won_bid(1)
    data = "\r\n".join([HEADER, *GOOD]).encode("cp1252")
    made = grant_import.import_grants(users[0], bid, data, filename="grants.csv")
    assert made[0].recipient_name == "Café Olé Community Group"
    assert [g.amount_pence for g in made] == [500_000, 75_050, 120_000, 30_000]  # "1,200" is £1,200
    assert made[2].recipient_charity_number == "0123456" and made[3].recipient_company_number == "01234567"
    assert made[0].region == "NW" and made[2].region == "WAL" and made[3].region is None
    assert _count() == 4
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "grants.imported")).after["grants"] == 4


def test_an_xlsx_workbook_with_real_dates_imports(ctx):
    bid, users = won_bid(1)
    book = Workbook()
    sheet = book.active
    sheet.append(["Recipient", "Amount Awarded", "Award Date", "Title", "Description", "Company Number"])
    sheet.append(["Hulme Youth Club", 5000, datetime(2027, 1, 10), "Summer", "Sport.", "01234567"])
    out = io.BytesIO()
    book.save(out)
    (grant,) = grant_import.import_grants(users[0], bid, out.getvalue(), filename="grants.xlsx")
    assert (grant.amount_pence, grant.award_date, grant.recipient_company_number) == (
        500_000, date(2027, 1, 10), "01234567",
    )  # fmt: skip


def test_bad_rows_are_each_reported_by_line_and_nothing_is_saved(ctx):
    bid, users = won_bid(1)
    bad = [
        ";;;£5,000;2027-01-15;Lunch club;Weekly lunches.;;;",  # no recipient
        "Group B;;;five thousand;2027-01-15;T;D.;;;",
        "Group C;;;5000;02/11/2020;T;D.;;;",
        "Group D;;;5000;2027-01-15;T;Ring jo@example.org;;;",
        "Group E;;;5000;2027-01-15;T;D.;Kent;E10000016;",
        "Group F;;;5000;2027-01-15;T;D.;;;Atlantis",
    ]
    data = "\n".join([HEADER, GOOD[0], *bad])
    with pytest.raises(ImportRefused) as refused:
        grant_import.import_grants(users[0], bid, data)
    by_line = {p.line: (p.column, " ".join(p.messages)) for p in refused.value.problems}
    assert by_line[3][0] == "recipient" and "Enter the recipient" in by_line[3][1]
    assert by_line[4][0] == "amount"
    assert by_line[5][0] == "award date" and "02/11/2020" in by_line[5][1]
    assert by_line[6][0] == "description" and "jo@example.org" in by_line[6][1]
    assert by_line[7][0] == "gss code"
    assert by_line[8][0] == "region"
    assert 2 not in by_line
    assert _count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("", "empty"),
        ("Recipient;Title\nA;B", "There is no ‘amount’ column"),
        ("Group A;;;5000;2027-01-15;T;D.;;;", "must name the columns"),
    ],
)
def test_a_table_that_cannot_be_read_is_refused_on_the_file(ctx, data, message):
    bid, users = won_bid(1)
    with pytest.raises(ValidationFailed) as refused:
        grant_import.import_grants(users[0], bid, data)
    assert message in " ".join(refused.value.errors["file"])
    assert _count() == 0
