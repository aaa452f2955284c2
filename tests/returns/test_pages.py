"""The returns pages through the browser's eyes: the convenor sets up a programme, members fill in returns,
bad input is refused with specific messages and nothing half-saved, the dashboard shows the figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.infra import clock
from app.models import ImpactReturn, Programme, ReturnRevision
from app.services.returns import periods
from tests.conftest import csrf_from
from tests.returns.conftest import NOW


def _returns() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ImpactReturn))


def test_the_convenor_sets_up_a_programme_from_the_template(app, browser, setup):
    browser.login(setup["convenor"])
    page = browser.get("/programmes/new")
    assert page.status_code == 200
    assert "WELFARE_CALLS" in page.text and "social value" in page.text
    form = {
        "title": "Winter support",
        "first_period": "2020-04..2020-05",
        "due_days": "15",
        "lock_days": "45",
        "m-0-code": "CALLS",
        "m-0-label": "Calls",
        "m-0-unit": "count",
        "m-0-kind": "flow",
        "m-0-required": "y",
        "organisation_ids": [],
    }
    with app.app_context():
        from app.models import Organisation

        form["organisation_ids"] = [
            str(i) for i in db.session.scalars(sa.select(Organisation.id).where(Organisation.kind == "member"))
        ]
    with clock.frozen(NOW):
        done = browser.post_form("/programmes/new", form)
    assert done.status_code == 302
    with app.app_context():
        made = db.session.scalar(sa.select(Programme).where(Programme.title == "Winter support"))
        assert [p.key for p in made.periods] == ["2020-04..2020-05"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "Give the programme a title."),
        ({"first_period": "2020-13"}, "Enter a month as YYYY-MM"),
        ({"first_period": "2020-05..2020-03"}, "The range must run forwards"),
        ({"due_days": "lots"}, "Returns are due 0 to 365 days"),
        ({"lock_days": "5"}, "Returns cannot lock before they are due"),
        ({"m-0-code": "calls!"}, "A code is 1 to 16 capital letters"),
        ({"m-1-code": "CALLS", "m-1-label": "Again"}, "The code CALLS is used twice."),
        ({"organisation_ids": ["999999"]}, "Choose organisations from your body"),
    ],
)
def test_bad_programme_input_is_refused_and_nothing_saved(app, browser, setup, changes, message):
    browser.login(setup["convenor"])
    form = {
        "title": "Bad one",
        "first_period": "2020-04",
        "due_days": "15",
        "lock_days": "45",
        "m-0-code": "CALLS",
        "m-0-label": "Calls",
        "m-0-unit": "count",
        "m-0-kind": "flow",
        "organisation_ids": [],
        **changes,
    }
    if not form["organisation_ids"]:
        with app.app_context():
            form["organisation_ids"] = [
                str(i) for i in db.session.scalars(sa.text("SELECT id FROM organisations WHERE kind = 'member'"))
            ]
    page = browser.post_form("/programmes/new", form)
    assert page.status_code == 422
    assert message in page.text.replace("&#39;", "'")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Programme)) == 1


def _form(code_values: dict, action="submit", version="0", **extra):
    data = {"action": action, "version": version, "story": ""}
    for code, value in code_values.items():
        if value == "nc":
            data[f"nc-{code}"] = "y"
        else:
            data[f"v-{code}"] = value
    data.update(extra)
    return data


def test_a_member_submits_and_sees_the_consortium_figures(app, browser, setup):
    browser.login(setup["members"][0])
    url = f"/programmes/{setup['id']}/periods/2020-03..2020-04/return"
    with clock.frozen(NOW):
        page = browser.get(url)
        assert page.status_code == 200 and "Welfare calls" in page.text
        done = browser.post_form(url, _form({"CALLS": "12", "FOOD": "nc", "ARREARS": "0"}))
    assert done.status_code == 302
    with app.app_context():
        ret = db.session.scalar(sa.select(ImpactReturn))
        assert ret.values == {"CALLS": 12, "FOOD": None, "ARREARS": 0} and ret.status == "submitted"
    with clock.frozen(NOW):
        mine = browser.get(f"/programmes/{setup['id']}")
    assert "The consortium" in mine.text and "fewer than 3 organisations" in mine.text


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"CALLS": "-4", "FOOD": "1", "ARREARS": "1"}, "Welfare calls cannot be negative."),
        ({"CALLS": "2.5", "FOOD": "1", "ARREARS": "1"}, "enter a whole number"),
        ({"CALLS": "lots", "FOOD": "1", "ARREARS": "1"}, "enter a whole number"),
        ({"CALLS": "9" * 20, "FOOD": "1", "ARREARS": "1"}, "is too large"),
        ({"CALLS": "", "FOOD": "1", "ARREARS": "1"}, "enter a figure (0 if none)"),
        ({"CALLS": "nc", "FOOD": "1", "ARREARS": "1"}, "Welfare calls is required: give the figure, or say why"),
        ({"CALLS": "1", "FOOD": "1", "ARREARS": "1", "story": "x" * 5001}, "The story is at most 5,000 characters"),
    ],
)
def test_bad_figures_are_refused_with_a_specific_message_and_nothing_saved(app, browser, setup, values, message):
    browser.login(setup["members"][0])
    url = f"/programmes/{setup['id']}/periods/2020-03..2020-04/return"
    story = values.pop("story", "")
    with clock.frozen(NOW):
        page = browser.post_form(url, _form(values, story=story))
    assert page.status_code == 422, page.text[:300]
    assert message in page.text
    with app.app_context():
        assert _returns() == 0


def test_not_collected_with_a_comment_is_accepted(app, browser, setup):
    browser.login(setup["members"][0])
    url = f"/programmes/{setup['id']}/periods/2020-03..2020-04/return"
    with clock.frozen(NOW):
        done = browser.post_form(
            url, _form({"CALLS": "nc", "FOOD": "nc", "ARREARS": "3"}, **{"c-CALLS": "Our phone system was down."})
        )
    assert done.status_code == 302
    with app.app_context():
        ret = db.session.scalar(sa.select(ImpactReturn))
        assert ret.values["CALLS"] is None and ret.comments == {"CALLS": "Our phone system was down."}


def test_two_tabs_one_wins_the_other_sees_the_current_figures(app, make_browser, setup):
    first, second = make_browser(), make_browser()
    first.login(setup["members"][0])
    second.login(setup["members"][0])
    url = f"/programmes/{setup['id']}/periods/2020-03..2020-04/return"
    with clock.frozen(NOW):
        assert (
            first.post_form(url, _form({"CALLS": "10", "FOOD": "1", "ARREARS": "1"}, action="draft")).status_code == 302
        )
        stale = second.post_form(url, _form({"CALLS": "99", "FOOD": "1", "ARREARS": "1"}, action="draft"))
    assert stale.status_code == 409
    assert "Someone else saved this return first" in stale.text and 'value="10"' in stale.text
    with app.app_context():
        assert db.session.scalar(sa.select(ImpactReturn)).values["CALLS"] == 10
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReturnRevision)) == 1


def test_same_as_last_month_copies_a_draft(app, browser, setup):
    browser.login(setup["members"][0])
    with clock.frozen(NOW):
        browser.post_form(
            f"/programmes/{setup['id']}/periods/2020-03..2020-04/return",
            _form({"CALLS": "10", "FOOD": "4", "ARREARS": "2"}),
        )
    with clock.frozen(datetime(2020, 7, 2, tzinfo=UTC)), app.app_context():
        periods.ensure_periods(db.session.get(Programme, setup["id"]))
        db.session.commit()
    with clock.frozen(datetime(2020, 7, 2, tzinfo=UTC)):
        url = f"/programmes/{setup['id']}/periods/2020-05/return"
        assert "Same as last month" in browser.get(url).text
        done = browser.post_form(f"{url}/copy", {}, page=url)
        assert done.status_code == 302
        assert 'value="10"' in browser.get(url).text
    with app.app_context():
        may = db.session.scalars(sa.select(ImpactReturn).order_by(ImpactReturn.id)).all()[-1]
        assert may.status == "draft" and may.values == {"CALLS": 10, "FOOD": 4, "ARREARS": 2}


def test_the_dashboard_shows_totals_chart_and_completeness(app, make_browser, setup):
    for email in setup["members"][:3]:
        member = make_browser()
        member.login(email)
        with clock.frozen(NOW):
            member.post_form(
                f"/programmes/{setup['id']}/periods/2020-03..2020-04/return",
                _form({"CALLS": "10", "FOOD": "nc", "ARREARS": "2"}),
            )
    convenor = make_browser()
    convenor.login(setup["convenor"])
    with clock.frozen(NOW + timedelta(hours=1)):
        page = convenor.get(f"/programmes/{setup['id']}")
    assert page.status_code == 200
    assert "<svg" in page.text and "Landlord 04" in page.text  # the missing one is listed
    text = "".join(page.text.split())
    # the latest period (May) has none in yet; the first: 4 expected, 3 received, all late (due 15 May)
    assert "<dt>Received</dt><dd>0</dd>" in text and "<dt>Missing</dt><dd>4</dd>" in text
    assert '<thscope="row">2020-03..2020-04</th><td>4</td><td>3</td><td>0</td><td>3</td><td>1</td>' in text


def test_after_the_lock_the_return_is_read_only(app, browser, setup):
    browser.login(setup["members"][0])
    url = f"/programmes/{setup['id']}/periods/2020-03..2020-04/return"
    with clock.frozen(NOW):
        browser.post_form(url, _form({"CALLS": "1200", "FOOD": "nc", "ARREARS": "3"}))
    after_lock = datetime(2020, 6, 14, 23, 0, 1, tzinfo=UTC)
    with clock.frozen(after_lock):
        page = browser.get(url)
        assert page.status_code == 200
        assert "This return is locked" in page.text and "1,200" in page.text and 'name="v-CALLS"' not in page.text
        token = csrf_from(browser.get("/account").text)
        refused = browser.client.post(
            url, data={"csrf_token": token, **_form({"CALLS": "5", "FOOD": "1", "ARREARS": "1"}, version="1")}
        )
    assert refused.status_code == 409 and "locked at midnight on Monday 15 June 2020" in refused.text
    with app.app_context():
        assert db.session.scalar(sa.select(ImpactReturn)).values["CALLS"] == 1200


def test_the_member_lets_the_convenor_quote_the_story(app, browser, setup):
    browser.login(setup["members"][0])
    url = f"/programmes/{setup['id']}/periods/2020-03..2020-04/return"
    with clock.frozen(NOW):
        assert "may quote our story" in browser.get(url).text
        done = browser.post_form(
            url, _form({"CALLS": "1", "FOOD": "1", "ARREARS": "1"}, story="We rang everyone.", story_shareable="y")
        )
    assert done.status_code == 302
    with app.app_context():
        ret = db.session.scalar(sa.select(ImpactReturn))
        assert ret.story == "We rang everyone." and ret.story_shareable is True
