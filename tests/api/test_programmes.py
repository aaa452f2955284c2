"""The impact returns API: programmes (convenors), a member's return with If-Match, 409 stale and locked, 422
naming each bad field, totals and series with suppression for members, the spreadsheet, and who may do what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.infra import clock
from app.models import ImpactReturn, Programme
from tests.api.conftest import token_for
from tests.returns.support import MEASURES, network, programme_for

NOW = datetime(2020, 6, 2, 9, tzinfo=UTC)
P1 = "2020-03..2020-04"


@pytest.fixture
def rw(committed):
    def make():
        with clock.frozen(NOW):
            convenor, members = network(4)
            programme = programme_for(convenor, members[:3])
            other_convenor, other_members = network(2, prefix="Elsewhere")
            other = programme_for(other_convenor, other_members)
            return {
                "id": programme.id,
                "other": other.id,
                "convenor": token_for(convenor),
                "other_convenor": token_for(other_convenor),
                "members": [token_for(m) for m in members[:3]],
                "outsider": token_for(members[3]),
                "org_ids": [m.organisation_id for m in members],
            }

    return committed(make)


GOOD = {"values": {"CALLS": 10, "FOOD": None, "ARREARS": 2}, "submit": True}


def test_a_convenor_creates_a_programme(api, rw):
    body = {
        "title": "Winter",
        "measures": MEASURES,
        "first_period": "2020-04..2020-05",
        "organisation_ids": rw["org_ids"][:2],
    }
    with clock.frozen(NOW):
        made = api.post("/programmes", rw["convenor"], json=body)
    assert made.status_code == 201, made.json
    assert made.json["organisation_ids"] == rw["org_ids"][:2] and made.headers["ETag"] == '"1"'
    periods = api.get(f"/programmes/{made.json['id']}/periods", rw["convenor"]).json["items"]
    assert [p["period"] for p in periods] == ["2020-04..2020-05"]  # June has not ended


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"first_period": "2020-3"}, "first_period"),
        ({"measures": [{**MEASURES[0], "code": "lower"}]}, "measures[0].code"),
        ({"measures": [{**MEASURES[0], "unit": "litres"}]}, "measures[0].unit"),
        ({"measures": []}, "measures"),
        ({"due_days": -1}, "due_days"),
        ({"organisation_ids": [999999]}, "organisation_ids"),
        ({"tag": "north"}, "tag"),  # no such tag in the directory
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_programme_bodies_name_the_field_and_save_nothing(api, rw, app, change, field):
    body = {
        "title": "Winter",
        "measures": MEASURES,
        "first_period": "2020-04",
        "organisation_ids": rw["org_ids"][:2],
        **change,
    }
    refused = api.post("/programmes", rw["convenor"], json=body)
    assert refused.status_code == 422, refused.json
    assert any(k == field or k.startswith(field) for k in refused.json["errors"]), refused.json
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Programme)) == 2


def test_a_member_puts_a_return_with_if_match_and_a_stale_one_is_409(api, rw, app):
    path = f"/programmes/{rw['id']}/periods/{P1}/return"
    token = rw["members"][0]
    with clock.frozen(NOW):
        first = api.get(path, token)
        assert first.json["version"] == 0 and first.headers["ETag"] == '"0"'
        saved = api.put(path, token, json=GOOD, headers={"If-Match": '"0"'})
        assert saved.status_code == 200, saved.json
        assert saved.json["status"] == "submitted" and saved.json["late"] is True  # due 15 May
        stale = api.put(path, token, json=GOOD, headers={"If-Match": '"0"'})
    assert stale.status_code == 409 and stale.json["current"]["version"] == saved.json["version"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"CALLS": -1, "FOOD": 1, "ARREARS": 1}, "values.CALLS"),
        ({"CALLS": 1.5, "FOOD": 1, "ARREARS": 1}, "values.CALLS"),
        ({"CALLS": "ten", "FOOD": 1, "ARREARS": 1}, "values.CALLS"),
        ({"CALLS": 10**15, "FOOD": 1, "ARREARS": 1}, "values.CALLS"),
        ({"CALLS": 1, "FOOD": 1, "ARREARS": 1, "NOPE": 1}, "values"),
        ({"CALLS": None, "FOOD": 1, "ARREARS": 1}, "comments.CALLS"),
    ],
)
def test_bad_returns_are_422_naming_each_field_and_nothing_saved(api, rw, app, values, field):
    with clock.frozen(NOW):
        refused = api.put(
            f"/programmes/{rw['id']}/periods/{P1}/return", rw["members"][0], json={"values": values, "submit": True}
        )
    assert refused.status_code == 422, refused.json
    assert any(k == field or k.startswith(field) for k in refused.json["errors"]), refused.json
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ImpactReturn)) == 0


def test_a_locked_period_is_409_one_second_after_the_lock(api, rw):
    lock = datetime(2020, 6, 14, 23, 0, tzinfo=UTC)  # end of 14 June, BST
    path = f"/programmes/{rw['id']}/periods/{P1}/return"
    with clock.frozen(lock - timedelta(seconds=1)):
        assert api.put(path, rw["members"][0], json=GOOD).status_code == 200
    with clock.frozen(lock + timedelta(seconds=1)):
        refused = api.put(path, rw["members"][1], json=GOOD)
    assert refused.status_code == 409 and "locked" in refused.json["detail"]


def test_totals_and_series_suppress_small_numbers_for_members_only(api, rw):
    path = f"/programmes/{rw['id']}/periods/{P1}"
    with clock.frozen(NOW):
        for n, token in enumerate(rw["members"]):
            values = {"CALLS": 10 * (n + 1), "FOOD": 5 if n == 0 else None, "ARREARS": 1}
            assert api.put(f"{path}/return", token, json={"values": values, "submit": True}).status_code == 200
        member = api.get(f"{path}/totals", rw["members"][0]).json
        convenor = api.get(f"{path}/totals", rw["convenor"]).json
        series = api.get(f"/programmes/{rw['id']}/series", rw["members"][1]).json
    by_code = {m["code"]: m for m in member["measures"]}
    assert by_code["CALLS"]["total"] == 60 and by_code["CALLS"]["running_total"] == 60
    assert by_code["FOOD"]["total"] is None and by_code["FOOD"]["suppressed"] is True
    assert member["missing_organisations"] is None
    assert {m["code"]: m["total"] for m in convenor["measures"]}["FOOD"] == 5
    assert (convenor["expected"], convenor["received"], convenor["late"]) == (3, 3, 3)
    assert {m["code"]: m["total"] for m in series["items"][0]["measures"]}["FOOD"] is None


@pytest.mark.parametrize(
    ("who", "method", "path", "expected"),
    [
        ("other_convenor", "GET", "/programmes/{id}", 404),
        ("other_convenor", "GET", "/programmes/{id}/series", 404),
        ("outsider", "GET", "/programmes/{id}", 404),
        ("outsider", "GET", f"/programmes/{{id}}/periods/{P1}/return", 404),
        ("members", "PATCH", "/programmes/{id}", 403),
        ("members", "GET", "/programmes/{id}/returns.xlsx", 403),
        ("convenor", "GET", f"/programmes/{{id}}/periods/{P1}/return", 403),
        ("convenor", "GET", "/programmes/{other}", 404),
        ("members", "POST", "/programmes", 403),
        ("convenor", "GET", "/programmes/{id}/returns.xlsx", 200),
        ("members", "GET", "/programmes/{id}/periods/2031-01/totals", 404),
    ],
)
def test_who_may_do_what(api, rw, who, method, path, expected):
    token = rw[who][0] if who == "members" else rw[who]
    body = {"title": "x"} if method in ("PATCH", "POST") else None
    response = api.call(method, path.format(**rw), token, json=body)
    assert response.status_code == expected, response.get_data(as_text=True)[:300]


def test_patching_measures_in_use_makes_a_new_set_version(api, rw):
    with clock.frozen(NOW):
        api.put(f"/programmes/{rw['id']}/periods/{P1}/return", rw["members"][0], json=GOOD)
        current = api.get(f"/programmes/{rw['id']}", rw["convenor"])
        changed = api.patch(
            f"/programmes/{rw['id']}",
            rw["convenor"],
            headers={"If-Match": current.headers["ETag"]},
            json={"measures": MEASURES[:2]},
        )
        stale = api.patch(
            f"/programmes/{rw['id']}",
            rw["convenor"],
            headers={"If-Match": current.headers["ETag"]},
            json={"title": "Late edit"},
        )
    assert changed.status_code == 200 and changed.json["measure_set_version"] == 2, (changed.json, current.headers)
    assert [m["code"] for m in changed.json["measures"]] == ["CALLS", "FOOD"]
    assert stale.status_code == 409, (changed.json["version"], current.headers["ETag"], stale.json)
