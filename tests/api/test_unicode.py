"""Text that is not valid Unicode (lone surrogates such as ``"\\ud800x"``) in any text field of any API body:
a 422 problem naming the field, nothing saved; and random text in every text field never gives a 5xx."""

from __future__ import annotations

import copy
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.api.bids import BID_FIELDS, CREATE_FIELDS, EXTEND_FIELDS
from app.api.invitations import ACCEPT_FIELDS, INVITE_FIELDS
from app.api.pledges import PLEDGE_FIELDS
from app.api.validation import Field
from app.extensions import db, limiter
from app.models import AuditEvent, Bid, Invitation, Pledge, User
from app.services import clock
from app.text import NOT_UNICODE

LINK = re.compile(r"/invitations/([A-Za-z0-9_.\-]+)")
LONE = "\ud800x"


def _deadline() -> str:
    return (clock.now() + timedelta(days=10)).isoformat()


def _bodies(world, invitation_token):
    """(name, method, path, token, declared fields, a body the endpoint accepts)."""
    bid = f"/bids/{world.bid_id}"
    accept = {
        "token": invitation_token,
        "name": "Priya Shah",
        "password": "a-long-enough-passphrase",
        "organisation": {"name": "Northern Homes", "identifier": None, "regions": ["NW"], "website": None},
    }
    pledge = {
        "amount_pence": 100_000,
        "homes": 10,
        "regions": ["NE"],
        "statement": "Grants",
        "status": "confirmed",
        "accept_terms": True,
    }
    create = {
        "title": "A bid",
        "funder_name": "Funder",
        "scheme": "Scheme",
        "summary": "Case",
        "terms": "Terms",
        "target_pence": 100_000,
        "target_homes": 10,
        "deadline": _deadline(),
        "status": "draft",
    }
    update = {k: v for k, v in create.items() if k not in ("status", "deadline")}  # an open bid: extend instead
    invite = {"invitations": [{"organisation_name": "Eastern Homes", "email": "ana@eastern.example"}]}
    return [
        ("put_pledge", "PUT", f"{bid}/pledge", world.member, PLEDGE_FIELDS, pledge),
        ("update_bid", "PATCH", bid, world.convenor, BID_FIELDS, update),
        ("create_invitations", "POST", f"{bid}/invitations", world.convenor, INVITE_FIELDS, invite),
        ("accept_invitation", "POST", "/invitations/accept", None, ACCEPT_FIELDS, accept),
        ("create_bid", "POST", "/bids", world.convenor, CREATE_FIELDS, create),
        ("extend_bid", "POST", f"{bid}/extend", world.convenor, EXTEND_FIELDS, {"deadline": _deadline()}),
    ]


def text_paths(fields: dict[str, Field], prefix: str = "") -> list[str]:
    """Every place a body holds text, from the same declarations that check it: ``organisation.regions[0]``."""
    paths = []
    for name, spec in fields.items():
        here = f"{prefix}{name}"
        if spec.kind == "array":
            spec, here = spec.items, f"{here}[0]"
        if spec.kind in ("string", "datetime"):
            paths.append(here)
        elif spec.kind == "object":
            paths.extend(text_paths(spec.fields, f"{here}."))
    return paths


def with_value(body: dict, path: str, value) -> dict:
    """A copy of ``body`` (which holds every container on the way) with ``value`` at ``path`` (``a.b[0]``)."""
    out = copy.deepcopy(body)
    parts = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path)]
    target = out
    for part in parts[:-1]:
        target = target[part]
    target[parts[-1]] = value
    return out


@pytest.fixture
def invitation_token(api, world, outbox):
    response = api.post(
        f"/bids/{world.bid_id}/invitations",
        world.convenor,
        json={"invitations": [{"organisation_name": "Northern Homes", "email": "priya@northern.example"}]},
    )
    assert response.status_code in (200, 201, 207), response.text
    return LINK.search(outbox[-1].body).group(1)


def _state():
    """Row counts, and every bid's version, title and deadline."""
    models = (Pledge, Bid, Invitation, User)
    counts = tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in models)
    # a token's use is audited (at most once a minute) whatever the body: not a change the body made
    audited = sa.select(sa.func.count()).where(AuditEvent.action != "api_token.used")
    counts += (db.session.scalar(audited),)
    return counts, [tuple(row) for row in db.session.execute(sa.select(Bid.id, Bid.version, Bid.title, Bid.deadline))]


_NOBODY = SimpleNamespace(bid_id=1, member="", convenor="")
ENDPOINTS = [name for name, *_ in _bodies(_NOBODY, "")]


def test_every_endpoint_with_a_body_declares_text_fields():
    for name, _, _, _, fields, _ in _bodies(_NOBODY, ""):
        assert text_paths(fields), name


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_lone_surrogate_in_a_text_field_is_a_422_naming_the_field(api, world, invitation_token, committed, endpoint):
    _, method, path, token, fields, good = next(b for b in _bodies(world, invitation_token) if b[0] == endpoint)
    before = committed(_state)
    for field in text_paths(fields):
        response = api.call(method, path, token, json=with_value(good, field, LONE))
        assert response.status_code == 422, (field, response.status_code, response.text[:300])
        assert response.mimetype == "application/problem+json"
        problem = response.json
        assert problem["errors"] == {field: [NOT_UNICODE]}, field
        assert problem["status"] == 422 and problem["type"].endswith("/validation-error")
        assert committed(_state) == before, f"{field}: something was saved"
    # The same body without the surrogate is accepted: the refusal was the text and nothing else.
    assert api.call(method, path, token, json=good).status_code < 300


def test_a_lone_surrogate_in_a_key_or_a_list_is_named_too(api, world):
    response = api.put(
        f"/bids/{world.bid_id}/pledge",
        world.member,
        json={"regions": ["NW", "\udc00"], "\ud800bad": 1, "statement": "fine é 😀"},
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"regions[1]": [NOT_UNICODE], "\\ud800bad": [NOT_UNICODE]}


def test_a_pair_of_surrogates_is_one_character_and_accepted(api, world):
    body = {"amount_pence": 100_000, "homes": 1, "regions": ["NW"], "status": "confirmed", "accept_terms": True}
    response = api.put(f"/bids/{world.bid_id}/pledge", world.member, json={**body, "statement": "\ud83d\ude00 ok"})
    assert response.status_code in (200, 201), response.text
    assert response.json["statement"] == "😀 ok"


TEXT = st.text(
    st.one_of(st.characters(), st.characters(categories=["Cs"]), st.sampled_from("\x00\u202e\n\r\t%\\\"'<>")),
    max_size=40,
)
MODEST = settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_random_text_in_every_text_field_never_gives_a_5xx(api, world, invitation_token, endpoint):
    _, method, path, token, fields, good = next(b for b in _bodies(world, invitation_token) if b[0] == endpoint)

    @MODEST
    @given(field=st.sampled_from(text_paths(fields)), value=TEXT)
    def check(field, value):
        limiter.reset()
        response = api.call(method, path, token, json=with_value(good, field, value))
        assert response.status_code < 500, (field, value, response.text[:300])

    check()
