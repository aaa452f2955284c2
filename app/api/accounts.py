"""Your own account (``/me``), your organisation's profile, and its team (for managers)."""

from __future__ import annotations

from typing import Annotated

from app.api import responses as r
from app.api.auth import caller
from app.api.blueprint import bp
from app.api.fields import Body, Region, Text, body_config, field
from app.api.helpers import ID, ok
from app.api.operations import describe, reply
from app.api.validation import read_body
from app.models import Organisation, User
from app.services import own_account, profiles, team
from app.services.errors import NotFound, PermissionDenied


class MeBody(Body, total=False):
    """Changes to your own account: any of the fields."""

    __pydantic_config__ = body_config()

    name: Annotated[Text, field("Your name.", max_length=200)]
    email: Annotated[
        Text,
        field(
            "A new email address: a confirmation link goes to it and the old address is told; nothing changes "
            "until the link is used.",
            max_length=254,
        ),
    ]


class ProfileBody(Body, total=False):
    """Changes to the organisation's profile: any of the fields (null clears an optional one)."""

    __pydantic_config__ = body_config()

    name: Annotated[Text, field(max_length=200)]
    identifier: Annotated[Text | None, field("org-id, e.g. GB-SHPE-L0026.", max_length=40)]
    homes_owned: Annotated[int | None, field(minimum=0)]
    regions: Annotated[list[Region], field(max_items=12)]
    website: Annotated[Text | None, field("www.example.org is stored as https://www.example.org.", max_length=300)]


def _me(user: User) -> dict:
    pending = own_account.pending_email_change(user)
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "role": str(user.role),
        "manager": user.is_manager,
        "organisation": {"id": user.organisation_id, "name": user.organisation.name},
        "email_change_pending": pending.email if pending else None,
    }


def _organisation(org: Organisation) -> dict:
    return {
        "id": org.id,
        "name": org.name,
        "kind": str(org.kind),
        "identifier": org.identifier,
        "homes_owned": org.homes_owned,
        "regions": list(org.regions or []),
        "website": org.website,
    }


def _own_organisation(organisation_id: int) -> Organisation:
    """The caller's own organisation; 404 for any other, whether or not it exists."""
    user = caller()
    if organisation_id != user.organisation_id:
        raise NotFound("No such organisation.")
    return user.organisation


@bp.get("/me")
@describe("getMe", "Your own account.", tag="account", replies={200: reply(r.Me, "Your account.")})
def get_me():
    return ok(_me(caller()))


@bp.patch("/me")
@describe(
    "updateMe",
    "Change your name, or start changing your email address (confirmed through a link sent to the new one).",
    tag="account",
    body=MeBody,
    replies={200: reply(r.Me, "Your account as it now stands.")},
)
def update_me():
    values = read_body()
    user = caller()
    if "name" in values:
        own_account.change_name(user, values["name"])
    if "email" in values:
        own_account.request_email_change(user, values["email"])
    return ok(_me(user))


@bp.get(f"/organisations/<{ID}:organisation_id>")
@describe(
    "getOrganisation",
    "Your organisation's profile (anyone in it).",
    tag="account",
    replies={200: reply(r.Organisation, "The profile.")},
    errors=(404,),
)
def get_organisation(organisation_id: int):
    return ok(_organisation(_own_organisation(organisation_id)))


@bp.patch(f"/organisations/<{ID}:organisation_id>")
@describe(
    "updateOrganisation",
    "Change your organisation's profile (its managers). A bid pack already made keeps the old values.",
    tag="account",
    body=ProfileBody,
    replies={200: reply(r.Organisation, "The profile as it now stands.")},
    errors=(403, 404),
)
def update_organisation(organisation_id: int):
    org = _own_organisation(organisation_id)
    if not profiles.can_edit_profile(caller(), org):
        raise PermissionDenied("Only a manager of the organisation can change its profile.")
    values = read_body()
    profiles.update_profile(caller(), org, **values)
    return ok(_organisation(org))


@bp.get(f"/organisations/<{ID}:organisation_id>/team")
@describe(
    "listTeam",
    "The organisation's current people (its managers).",
    tag="account",
    replies={200: reply(r.Team, "Managers first, then by name.")},
    errors=(403, 404),
)
def list_team(organisation_id: int):
    _own_organisation(organisation_id)
    people = team.team_for(caller())
    return ok(
        {
            "items": [
                {
                    "id": p.id,
                    "name": p.name,
                    "email": p.email,
                    "manager": p.is_manager,
                    "last_login_at": p.last_login_at.isoformat() if p.last_login_at else None,
                }
                for p in people
            ]
        }
    )
