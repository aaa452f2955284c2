"""Uploading a return as CSV or XLSX (one column per measure code): saved as a draft to check; wrong columns,
Windows-1252, formula cells and bad figures are refused with a specific message and nothing saved."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from app.extensions import db
from app.infra import clock
from app.models import ImpactReturn
from tests.conftest import csrf_from
from tests.returns.conftest import NOW


def _post(browser, setup, content: bytes, name="return.csv"):
    url = f"/programmes/{setup['id']}/periods/2020-03..2020-04/return"
    with clock.frozen(NOW):
        token = csrf_from(browser.get(url).text)
        return browser.client.post(
            f"{url}/upload",
            data={"csrf_token": token, "file": (io.BytesIO(content), name)},
            content_type="multipart/form-data",
        )


def _xlsx(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(ImpactReturn))


def test_a_csv_is_saved_as_a_draft(app, browser, setup):
    browser.login(setup["members"][0])
    done = _post(browser, setup, b"CALLS,FOOD,ARREARS\n1,200,not collected,4\n".replace(b"1,200", b"1200"))
    assert done.status_code == 302
    with app.app_context():
        ret = db.session.scalar(sa.select(ImpactReturn))
        assert ret.status == "draft" and ret.values == {"CALLS": 1200, "FOOD": None, "ARREARS": 4}


def test_an_xlsx_with_labels_as_headers_is_read(app, browser, setup):
    browser.login(setup["members"][0])
    done = _post(browser, setup, _xlsx([["Welfare calls", "FOOD", "ARREARS"], [15, 0, 3]]), "return.xlsx")
    assert done.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(ImpactReturn)).values == {"CALLS": 15, "FOOD": 0, "ARREARS": 3}


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"CALLS,FOOD,BANANAS\n1,2,3\n", "r.csv", "BANANAS"),
        (b"CALLS,FOOD\n1,2\n", "r.csv", "There is no"),
        (b"CALLS,FOOD,ARREARS\n", "r.csv", "has a header but no rows"),
        (b"CALLS,FOOD,ARREARS\n1,2,3\n4,5,6\n", "r.csv", "at most 1 are read"),
        (b"CALLS,FOOD,ARREARS\n-3,2,3\n", "r.csv", "Welfare calls cannot be negative."),
        (b"CALLS,FOOD,ARREARS\n2.5,2,3\n", "r.csv", "enter a whole number"),
        ("CALLS,FOOD,ARREARS\n£5,2,3\n".encode("cp1252"), "r.csv", "Welfare calls: enter a whole number"),
        (b"CALLS,FOOD,ARREARS\n=1+2,2,3\n", "r.csv", "Welfare calls: enter a whole number"),
        (None, "r.xlsx", "Welfare calls: enter a figure (0 if none)"),  # a formula cell with no value saved
        (b"\x00\x01\x02garbage", "r.csv", "not a CSV text file"),
    ],
)
def test_bad_uploads_are_refused_with_a_specific_message_and_nothing_saved(app, browser, setup, content, name, message):
    browser.login(setup["members"][0])
    if content is None:
        content = _xlsx([["CALLS", "FOOD", "ARREARS"], ["=SUM(1,2)", 2, 3]])
    page = _post(browser, setup, content, name)
    assert page.status_code == 422
    assert message in page.text.replace("&#39;", "'").replace("&#34;", '"'), page.text[-3000:]
    assert _count(app) == 0
