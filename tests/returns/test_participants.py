"""The set-up page chooses who takes part from the body's directory: all, a tag, or those ticked. Entries
without an account are listed as unable to take part and named when skipped; bad choices save nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.infra import clock
from app.models import Participant, Programme
from tests.returns.conftest import NOW
from tests.returns.support import tagged_directory


@pytest.fixture
def dw(app):
    with app.app_context(), clock.frozen(NOW):
        made = tagged_directory()
        db.session.commit()
        return {"convenor": made["convenor"].email, "org_ids": made["org_ids"]}


FORM = {
    "title": "Winter support",
    "first_period": "2020-04",
    "due_days": "15",
    "lock_days": "45",
    "m-0-code": "CALLS",
    "m-0-label": "Calls",
    "m-0-unit": "count",
    "m-0-kind": "flow",
}


def _taking_part(app) -> list[int]:
    with app.app_context():
        made = db.session.scalar(sa.select(Programme).where(Programme.title == "Winter support"))
        if made is None:
            return []
        return sorted(
            db.session.scalars(sa.select(Participant.organisation_id).where(Participant.programme_id == made.id))
        )


def test_the_page_offers_all_tags_and_ticks_and_lists_who_cannot_take_part(browser, dw):
    browser.login(dw["convenor"])
    page = browser.get("/programmes/new")
    assert page.status_code == 200
    assert 'value="North"' in page.text and 'value="Empty"' in page.text and 'value="Theirs"' not in page.text
    assert "Cannot take part yet (1)" in page.text and "Unlinked Homes: it has no account yet" in page.text
    assert all(f'value="{i}" checked' in page.text for i in dw["org_ids"])


@pytest.mark.parametrize(
    ("choice", "expected"),
    [({"who": "all"}, slice(0, 3)), ({"who": "tag", "tag": "North"}, slice(0, 2))],
)
def test_all_or_a_tag_takes_the_linked_organisations_and_says_who_was_skipped(app, browser, dw, choice, expected):
    browser.login(dw["convenor"])
    with clock.frozen(NOW):
        done = browser.post_form("/programmes/new", FORM | choice)
    assert done.status_code == 302
    assert _taking_part(app) == sorted(dw["org_ids"][expected])
    shown = browser.get(done.headers["Location"]).text
    assert "Not taking part, 1: Unlinked Homes (it has no account yet" in shown


def test_ticked_organisations_take_part(app, browser, dw):
    browser.login(dw["convenor"])
    with clock.frozen(NOW):
        done = browser.post_form(
            "/programmes/new", FORM | {"who": "chosen", "organisation_ids": [str(dw["org_ids"][1])]}
        )
    assert done.status_code == 302
    assert _taking_part(app) == [dw["org_ids"][1]]


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        ({"who": "tag", "tag": ""}, "Give the name of one of your directory&#39;s tags."),
        ({"who": "tag", "tag": "Theirs"}, "Your directory has no tag “Theirs”."),
        ({"who": "tag", "tag": "Empty"}, "No organisation in your directory has the tag “Empty”."),
        ({"who": "chosen", "organisation_ids": []}, "Choose the organisations taking part."),
        ({"who": "all", "title": ""}, "Give the programme a title."),
    ],
)
def test_bad_choices_are_refused_and_nothing_saved(app, browser, dw, choice, message):
    browser.login(dw["convenor"])
    with clock.frozen(NOW):
        page = browser.post_form("/programmes/new", FORM | choice)
    assert page.status_code == 422
    assert message in page.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Programme)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Participant)) == 0
