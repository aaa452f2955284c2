"""The account API: /me (name; an email change waits for its confirmation link), the organisation's profile
(anyone in it reads, its managers change), and the team listing (managers). Other organisations get 404."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Organisation, User


def test_get_me(api, world):
    body = api.get("/me", world.member).get_json()
    assert body["email"] == world.member_email and body["manager"] is True
    assert body["organisation"]["id"] == world.member_org_id and body["email_change_pending"] is None


def test_patch_me_changes_the_name_and_starts_an_email_change(api, world, app, outbox):
    response = api.patch("/me", world.member, json={"name": "Renamed Person", "email": "Fresh@Example.org"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["name"] == "Renamed Person"
    assert body["email"] == world.member_email  # unchanged until the link is used
    assert body["email_change_pending"] == "fresh@example.org"
    assert sorted(m.to[0] for m in outbox) == sorted(["fresh@example.org", world.member_email])


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"name": ""}, "name", "Enter your name."),
        ({"name": 7}, "name", "Must be text."),
        ({"email": "not-an-address"}, "email", "Enter a valid email address"),
        ({"colour": "red"}, "colour", "Unknown field."),
    ],
)
def test_patch_me_refuses_bad_values_and_changes_nothing(api, world, app, outbox, payload, field, message):
    before = api.get("/me", world.member).get_json()
    response = api.patch("/me", world.member, json={"name": "Should Not Stick", **payload})
    assert response.status_code == 422
    assert message in " ".join(response.get_json()["errors"][field])
    assert api.get("/me", world.member).get_json() == before
    assert outbox == []


def test_patch_me_refuses_another_accounts_address(api, world, app):
    with app.app_context():
        taken = db.session.scalar(sa.select(User.email).where(User.email != world.member_email))
    response = api.patch("/me", world.member, json={"email": taken.upper()})
    assert response.status_code == 422
    assert response.get_json()["errors"]["email"] == ["Another account already uses that email address."]


def test_the_organisation_profile(api, world, app):
    path = f"/organisations/{world.member_org_id}"
    assert api.get(path, world.colleague).get_json()["name"] == "Riverside Homes"
    response = api.patch(path, world.member, json={"website": "www.riverside.example.org", "homes_owned": 4_000})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["website"] == "https://www.riverside.example.org"
    with app.app_context():
        assert db.session.get(Organisation, world.member_org_id).homes_owned == 4_000
        assert (
            db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "organisation.profile_updated"))
            == 1
        )
    # A colleague who is not a manager reads but cannot change; other organisations are not found.
    assert api.patch(path, world.colleague, json={"homes_owned": 1}).status_code == 403
    for token in (world.outsider, world.convenor, world.other_convenor):
        assert api.get(path, token).status_code == 404
        assert api.patch(path, token, json={"homes_owned": 1}).status_code == 404
    assert api.get(path).status_code == 401


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"name": ""}, "name", "Enter the organisation's name."),
        ({"website": "not a site"}, "website", "A website address cannot contain spaces."),
        ({"identifier": "GB-COH-1"}, "identifier", "That does not look like a company"),
        ({"homes_owned": -1}, "homes_owned", ""),
        ({"regions": ["XX"]}, "regions[0]", "Must be one of"),
        ({"name": "Hillside Housing"}, "name", "An organisation with that name already exists."),
    ],
)
def test_bad_profile_values_are_refused_and_nothing_is_saved(api, world, app, payload, field, message):
    path = f"/organisations/{world.member_org_id}"
    before = api.get(path, world.member).get_json()
    response = api.patch(path, world.member, json={"homes_owned": 99, **payload})
    assert response.status_code == 422
    assert message in " ".join(response.get_json()["errors"][field])
    assert api.get(path, world.member).get_json() == before


def test_the_team_listing_is_for_managers(api, world):
    path = f"/organisations/{world.member_org_id}/team"
    body = api.get(path, world.member).get_json()
    assert [p["manager"] for p in body["items"]] == [True, False]
    assert body["items"][0]["email"] == world.member_email
    assert api.get(path, world.colleague).status_code == 403
    assert api.get(path, world.outsider).status_code == 404
    assert api.get(path, world.convenor).status_code == 404
