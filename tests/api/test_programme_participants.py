"""POST /api/v1/programmes chooses who takes part from the body's directory: organisation ids or a tag. Entries
without an account are skipped and named; another body's tag, an unknown or empty tag is refused, nothing saved."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.infra import clock
from app.models import AuditEvent, Participant, Programme
from tests.api.conftest import token_for
from tests.returns.support import MEASURES, tagged_directory

NOW = datetime(2020, 6, 2, 9, tzinfo=UTC)


@pytest.fixture
def dw(committed):
    def make():
        made = tagged_directory()
        return {
            "convenor": token_for(made["convenor"]),
            "other_convenor": token_for(made["other_convenor"]),
            "member": token_for(made["members"][0]),
            "org_ids": made["org_ids"],
            "other_org_ids": made["other_org_ids"],
        }

    return committed(make)


def _body(**choice):
    return {"title": "Winter", "measures": MEASURES, "first_period": "2020-04", **choice}


def _counts() -> tuple[int, int]:
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(Programme)),
        db.session.scalar(sa.select(sa.func.count()).select_from(Participant)),
    )


def test_a_tag_takes_its_linked_organisations_and_names_those_skipped(api, dw, app):
    with clock.frozen(NOW):
        made = api.post("/programmes", dw["convenor"], json=_body(tag=" north "))
    assert made.status_code == 201, made.json
    assert sorted(made.json["organisation_ids"]) == sorted(dw["org_ids"][:2])
    assert made.json["skipped"] == [
        {
            "name": "Unlinked Homes",
            "reason": "it has no account yet (it has not accepted an invitation to one of your bids)",
        }
    ]
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "programme.created"))
        assert event.after["chosen_by"] == "tag north" and event.after["skipped"][0][0] == "Unlinked Homes"


def test_organisation_ids_from_the_directory(api, dw):
    with clock.frozen(NOW):
        made = api.post("/programmes", dw["convenor"], json=_body(organisation_ids=dw["org_ids"][2:]))
    assert made.status_code == 201, made.json
    assert made.json["organisation_ids"] == dw["org_ids"][2:] and made.json["skipped"] == []


@pytest.mark.parametrize(
    ("choice", "field", "message"),
    [
        ({"tag": "Theirs"}, "tag", "Your directory has no tag “Theirs”."),
        ({"tag": "Nowhere"}, "tag", "Your directory has no tag “Nowhere”."),
        ({"tag": "Empty"}, "tag", "No organisation in your directory has the tag “Empty”."),
        ({"tag": "   "}, "tag", "Give the name of one of your directory's tags."),
        ({"tag": ""}, "tag", "Give the name of one of your directory's tags."),
        ({"tag": "North", "organisation_ids": [1]}, "tag", "Give organisation_ids or tag, not both."),
        ({}, "organisation_ids", "Give organisation_ids or a directory tag."),
        ({"organisation_ids": []}, "organisation_ids", "Choose the organisations taking part."),
        ({"organisation_ids": "other"}, "organisation_ids", "Choose organisations from your body's directory"),
    ],
)
def test_bad_choices_are_refused_and_nothing_saved(api, dw, app, choice, field, message):
    if choice.get("organisation_ids") == "other":
        choice = {"organisation_ids": dw["other_org_ids"]}
    with app.app_context():
        before = _counts()
    with clock.frozen(NOW):
        refused = api.post("/programmes", dw["convenor"], json=_body(**choice))
    assert refused.status_code == 422, refused.json
    assert any(m.startswith(message) for m in refused.json["errors"][field]), refused.json
    with app.app_context():
        assert _counts() == before


def test_a_bad_title_and_a_bad_tag_are_both_named(api, dw):
    refused = api.post("/programmes", dw["convenor"], json=_body(tag="Nowhere") | {"title": ""})
    assert refused.status_code == 422
    assert set(refused.json["errors"]) >= {"title", "tag"}


def test_another_body_cannot_use_this_bodys_tag_and_members_cannot_create(api, dw, app):
    with clock.frozen(NOW):
        theirs = api.post("/programmes", dw["other_convenor"], json=_body(tag="North"))
        member = api.post("/programmes", dw["member"], json=_body(tag="North"))
    assert theirs.status_code == 422 and theirs.json["errors"]["tag"] == ["Your directory has no tag “North”."]
    assert member.status_code == 403
    with app.app_context():
        assert _counts() == (0, 0)
