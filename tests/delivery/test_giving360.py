"""The 360Giving export at the size of the real case: 39 members record 400 grants; the totals equal the sums,
the JSON validates, the CSV header is the standard's titles exactly, CSV and JSON agree grant by grant, ids are
stable, and each bad value is refused or kept as the rules say."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.infra import clock
from app.models import Grant
from app.regions import REGION_GSS, REGIONS
from app.services import delivery, giving360, grant_import, grants
from app.services.giving360 import ExportRefused
from tests.delivery.helpers import GRANT, grant_by, won_bid

TITLES = [
    "Identifier", "Title", "Description", "Currency", "Amount Awarded", "Award Date", "Planned Dates:Start Date",
    "Planned Dates:End Date", "Recipient Org:Identifier", "Recipient Org:Name", "Recipient Org:Charity Number",
    "Recipient Org:Company Number", "Beneficiary Location:Name", "Beneficiary Location:Country Code",
    "Beneficiary Location:Geographic Code", "Beneficiary Location:Geographic Code Type", "Funding Org:Identifier",
    "Funding Org:Name", "Grant Programme:Code", "Grant Programme:Title", "From An Open Call?", "Last Modified",
    "Data Source",
]  # fmt: skip
LA = [("Manchester", "E08000003"), ("Cardiff", "W06000015"), ("Glasgow City", "S12000049"),
      ("Belfast", "N09000003"), ("Leeds", "E08000035"), ("Cornwall", "E06000052")]  # fmt: skip


def _record_400(users, bid) -> list[Grant]:
    """400 grants over 39 members: every 5th to a charity (some with leading zeros), every 7th to a company
    (leading zeros), the rest unregistered groups; every 3rd with a GSS code, the others a region only. The
    last 40 are imported, a CSV per member, the others entered one by one."""
    made, imports = [], {}
    codes = list(REGIONS)
    for i in range(400):
        user = users[i % len(users)]
        values = {
            **GRANT,
            "recipient_name": f"Community Group {i % 150}",
            "amount_pence": 100_000 + i * 137,
            "award_date": date(2027, 1, 1) + timedelta(days=i % 300),
            "title": f"Grant {i}",
            "description": f"Support for local activity number {i}.",
            "location_name": "",
            "location_gss": None,
            "region": codes[i % 12],
            "funder_pence": i * 37,
        }
        if i % 5 == 0:
            values["recipient_charity_number"] = f"0{100000 + i}"
        elif i % 7 == 0:
            values["recipient_company_number"] = f"0{1000000 + i}"
        if i % 3 == 0:
            values["location_name"], values["location_gss"] = LA[i % len(LA)]
        if i < 360:
            made.append(grants.create_grant(user, bid, values))
            continue
        imports.setdefault(user.id, (user, []))[1].append(
            ";".join(
                [
                    values["recipient_name"],
                    values.get("recipient_charity_number") or "",
                    values.get("recipient_company_number") or "",
                    f"{values['amount_pence'] / 100:.2f}",
                    f"{values['funder_pence'] / 100:.2f}",
                    values["award_date"].isoformat(),
                    values["title"],
                    values["description"],
                    values["location_name"],
                    values["location_gss"] or "",
                    values["region"],
                ]
            )
        )
    header = (
        "Recipient;Charity number;Company number;Amount;Funder money;Award date;Title;Description;"
        "Local authority;GSS code;Region"
    )
    for user, lines in imports.values():
        data = "\r\n".join([header, *lines]).encode("utf-8")
        made.extend(grant_import.import_grants(user, bid, data, filename="grants.csv"))
    assert len(made) == 400
    return made


@pytest.fixture
def big(ctx):
    bid, users = won_bid(39)
    made = _record_400(users, bid)
    return bid, users, made


def test_400_grants_export_validate_agree_and_keep_their_ids(big):
    bid, _users, made = big
    convenor = bid.created_by
    result = giving360.export(convenor, bid, now=clock.now())
    assert len(result.grants) == 400 and result.problems == []
    package = json.loads(giving360.render(result, "json"))
    for grant in package["grants"]:
        assert list(giving360.validator().iter_errors(grant)) == []
        assert "regrantType" not in grant
    assert package["version"] == "1.4" and re.fullmatch(r".+T.+\+00:00", package["modified"])

    text = giving360.render(result, "csv").decode("utf-8")
    reader = csv.reader(io.StringIO(text))
    assert next(reader) == TITLES
    rows = [dict(zip(TITLES, row, strict=True)) for row in reader]
    assert len(rows) == 400
    for grant, row in zip(package["grants"], rows, strict=True):
        assert row["Identifier"] == grant["id"] and row["Title"] == grant["title"]
        assert float(row["Amount Awarded"]) == grant["amountAwarded"] and re.fullmatch(
            r"\d+\.\d\d", row["Amount Awarded"]
        )
        assert row["Award Date"] == grant["awardDate"]
        assert row["Recipient Org:Identifier"] == grant["recipientOrganization"][0]["id"]
        assert row["Funding Org:Identifier"] == grant["fundingOrganization"][0]["id"]
        location = grant["beneficiaryLocation"][0]
        assert row["Beneficiary Location:Geographic Code"] == location["geoCode"]
        assert row["Beneficiary Location:Geographic Code Type"] == location["geoCodeType"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", row["Last Modified"])

    by_id = {g["id"]: g for g in package["grants"]}
    exported = by_id[f"360G-{giving360.prefix_of(bid)}-{made[0].reference}"]  # a charity, leading zero
    assert exported["recipientOrganization"][0] == {
        "id": "GB-CHC-0100000", "name": "Community Group 0", "charityNumber": "0100000",
    }  # fmt: skip
    assert exported["beneficiaryLocation"][0]["geoCodeType"] == "LAD"
    company = next(g for g in package["grants"] if g["title"] == "Grant 7")
    assert company["recipientOrganization"][0]["companyNumber"] == "01000007"
    assert company["recipientOrganization"][0]["id"] == "GB-COH-01000007"
    imported = next(g for g in package["grants"] if g["title"] == "Grant 360")  # from a CSV, zeros kept
    assert imported["recipientOrganization"][0]["id"] == "GB-CHC-0100360" and imported["amountAwarded"] == 1493.2
    imported = next(g for g in package["grants"] if g["title"] == "Grant 364")
    assert imported["recipientOrganization"][0]["companyNumber"] == "01000364"
    unregistered = next(g for g in package["grants"] if g["title"] == "Grant 1")
    assert unregistered["recipientOrganization"][0]["id"].startswith("360G-")
    region_only = next(g for g in package["grants"] if g["title"] == "Grant 1")["beneficiaryLocation"][0]
    assert region_only == {"name": "North West", "countryCode": "GB", "geoCode": REGION_GSS["NW"],
                           "geoCodeType": "RGN"}  # fmt: skip
    scotland = next(g for g in package["grants"] if g["title"] == "Grant 10")["beneficiaryLocation"][0]
    assert (scotland["geoCode"], scotland["geoCodeType"]) == ("S92000003", "CTRY")
    belfast = next(g for g in package["grants"] if g["title"] == "Grant 3")["beneficiaryLocation"][0]
    assert (belfast["name"], belfast["geoCode"], belfast["geoCodeType"]) == ("Belfast", "N09000003", "LAD")
    assert next(g for g in package["grants"] if g["title"] == "Grant 1")["amountAwarded"] == 1001.37

    again = json.loads(giving360.render(giving360.export(convenor, bid, now=clock.now()), "json"))
    assert [g["id"] for g in again["grants"]] == [g["id"] for g in package["grants"]]
    assert len(set(by_id)) == 400

    book = load_workbook(io.BytesIO(giving360.render(result, "xlsx")), read_only=True)
    assert book.sheetnames == ["grants", "Meta"]
    sheet_rows = list(book["grants"].iter_rows(values_only=True))
    assert list(sheet_rows[0]) == TITLES and len(sheet_rows) == 401
    assert sheet_rows[1][0] == package["grants"][0]["id"]
    assert dict(book["Meta"].iter_rows(values_only=True))["Schema Version"] == "1.4"


def test_delivery_totals_equal_the_sums(big):
    bid, users, made = big
    figures = delivery.summary(bid.created_by, bid)
    assert figures["totals"]["granted_pence"] == sum(g.amount_pence for g in made)
    assert figures["totals"]["grants"] == 400 and figures["totals"]["members_with_grants"] == 39
    assert figures["totals"]["pledged_pence"] == 39 * 25_000_000
    assert sum(m["granted_pence"] for m in figures["members"]) == figures["totals"]["granted_pence"]
    assert sum(r["granted_pence"] for r in figures["by_region"]) == figures["totals"]["granted_pence"]
    assert sum(r["grants"] for r in figures["by_month"]) == 400
    assert sum(r["grants"] for r in figures["by_local_authority"]) == 400
    first = next(m for m in figures["members"] if m["organisation"]["id"] == users[0].organisation_id)
    assert first["granted_pence"] == sum(g.amount_pence for g in made if g.organisation_id == users[0].organisation_id)
    assert first["percent"] == round(100 * first["granted_pence"] / 25_000_000, 1)
    # 150 group names, some of them registered (a charity or company number) in one grant and not in another
    assert figures["totals"]["recipients"] > 150 and figures["possible_duplicates"]
    assert figures["shared_recipients"] > 0
    member_view = delivery.summary(users[0], bid)
    assert [m["organisation"]["id"] for m in member_view["members"]] == [users[0].organisation_id]
    assert member_view["totals"] == figures["totals"]


def test_an_email_address_or_a_code_without_its_type_refuses_the_export_saying_where(ctx):
    bid, users = won_bid(1)
    good = grant_by(users[0], bid)
    bad = grant_by(users[0], bid, title="Bad one")
    # Rows changed outside the form (as an older import might have left them): the export checks again.
    bad.description = "Contact jo.bloggs@example.org"
    bad.location_gss = "E10000002"
    db.session.flush()
    with pytest.raises(ExportRefused) as refused:
        giving360.export(bid.created_by, bid, now=clock.now())
    (problem,) = refused.value.problems
    assert problem["grant_id"] == bad.id
    assert any(
        r.startswith("description: contains an email address (jo.bloggs@example.org)") for r in problem["reasons"]
    )
    assert any(r.startswith("beneficiaryLocation/0") for r in problem["reasons"])
    assert list(refused.value.errors) == [problem["id"] and f"grants/{problem['id']}"]
    kept = giving360.export(bid.created_by, bid, now=clock.now(), leave_out_failing=True)
    assert kept.left_out == 1 and [g["title"] for g in kept.grants] == [good.title]


def test_a_grant_missing_its_recipient_fails_the_schema(ctx):
    bid, users = won_bid(1)
    grant = grant_by(users[0], bid)
    item = giving360.as_360_grant(grant, bid, "x", "https://example.org/")
    item["recipientOrganization"] = []
    item["amountAwarded"] = "5,000"
    item["awardDate"] = "02/11/2020"
    reasons = giving360.check(item)
    whole = list(giving360.validator().iter_errors(item))  # the reasons are jsonschema's, all of them
    assert len(whole) == len(reasons) == 3
    assert any(r.startswith("recipientOrganization") for r in reasons)
    assert any(r.startswith("amountAwarded") for r in reasons)
    assert any(r.startswith("awardDate") for r in reasons)


def test_the_reasons_for_bad_list_items_are_jsonschema_s(ctx):
    bid, users = won_bid(1)
    grant = grant_by(users[0], bid)
    item = giving360.as_360_grant(grant, bid, "x", "https://example.org/")
    item["beneficiaryLocation"] = [{"name": "Kent", "geoCode": "E10000016"}]
    item["fundingOrganization"] = [{"id": "not an org-id", "name": "A"}]
    reasons = giving360.check(item)
    assert giving360.fast_check()(item) is False
    whole = sorted(
        ("/".join(str(p) for p in e.absolute_path), e.message) for e in giving360.validator().iter_errors(item)
    )
    assert sorted(tuple(r.split(": ", 1)) for r in reasons) == whole
    assert {path for path, _ in whole} >= {"beneficiaryLocation/0", "fundingOrganization/0/id"}
