"""API fixtures: test data committed in its own app context (as another process would), tokens, a JSON client."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.extensions import db
from app.models import BidStatus
from app.services import api_tokens
from tests import factories as f


class Api:
    """A test client speaking JSON to /api/v1 with a bearer token."""

    def __init__(self, client):
        self.client = client

    def call(self, method: str, path: str, token: str | None = None, *, json=None, headers=None, **kwargs):
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        return self.client.open("/api/v1" + path, method=method, json=json, headers=all_headers, **kwargs)

    def get(self, path, token=None, **kwargs):
        return self.call("GET", path, token, **kwargs)

    def post(self, path, token=None, **kwargs):
        return self.call("POST", path, token, **kwargs)

    def put(self, path, token=None, **kwargs):
        return self.call("PUT", path, token, **kwargs)

    def patch(self, path, token=None, **kwargs):
        return self.call("PATCH", path, token, **kwargs)

    def delete(self, path, token=None, **kwargs):
        return self.call("DELETE", path, token, **kwargs)


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def outbox(app):
    """Messages the locmem backend sent during the test.

    Flask-Mailman's locmem backend appends to the app's mail *state* (app.extensions["mailman"]), not to
    the Mail object, so this reads the state's list (tests/conftest.py's fixture reads the Mail object).
    """
    state = app.extensions["mailman"]
    state.outbox = []
    yield state.outbox
    state.outbox = []


@pytest.fixture
def committed(app):
    """Run a function in a fresh app context and commit what it made; return its (plain) result."""

    def run(fn):
        with app.app_context():
            result = fn()
            db.session.commit()
            db.session.remove()
            return result

    return run


def token_for(user) -> str:
    plaintext, _row = api_tokens.create_token(user, "tests")
    return plaintext


@pytest.fixture
def world(committed):
    """An open bid with a convenor and a member who has pledged, a member who has not, and outsiders.

    Outsiders: a member of another organisation not in the bid, the convenor of another convening body,
    and a member of a draft bid's organisation.
    """

    def build():
        bid = f.BidFactory(status=BidStatus.OPEN)
        convenor = bid.created_by
        member = f.member_of(bid, name="Riverside Homes")
        pledge = f.pledge_for(member, bid, amount_pence=25_000_000, homes=1_000, regions=["NW"])
        waiting = f.member_of(bid, name="Hillside Housing")
        outsider = f.UserFactory()
        other_bid = f.BidFactory()
        other_convenor = other_bid.created_by
        colleague = f.UserFactory(organisation=member.organisation)
        db.session.flush()
        return SimpleNamespace(
            bid_id=bid.id,
            pledge_id=pledge.id,
            other_bid_id=other_bid.id,
            convenor=token_for(convenor),
            member=token_for(member),
            colleague=token_for(colleague),
            waiting=token_for(waiting),
            outsider=token_for(outsider),
            other_convenor=token_for(other_convenor),
            member_org_id=member.organisation_id,
            member_email=member.email,
        )

    return committed(build)
