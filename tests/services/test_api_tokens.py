"""API tokens: made once and stored hashed, revoked, and checked on every request."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.infra import clock, tokens
from app.models import ApiToken, AuditEvent
from app.services import api_tokens, users
from app.services.errors import NotFound, ValidationFailed
from tests.factories import UserFactory


def test_create_stores_only_the_hash_and_a_prefix(ctx):
    user = UserFactory()
    plaintext, row = api_tokens.create_token(user, "  Finance system ")
    db.session.commit()
    assert plaintext.startswith("cbm_") and len(plaintext) > 40
    assert row.token_hash == tokens.digest(plaintext) and row.token_hash != plaintext
    assert row.prefix == plaintext[:8] and row.name == "Finance system"
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.subject_id == row.id)) == "api_token.created"
    assert api_tokens.create_token(user, "Second")[0] != plaintext


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Give the token a name, such as the system that will use it."),
        ("   ", "Give the token a name, such as the system that will use it."),
        ("x" * 101, "The name must be 100 characters or fewer."),
        (5, "The token's name must be text."),
    ],
)
def test_create_refuses_a_bad_name(ctx, name, message):
    user = UserFactory()
    with pytest.raises(ValidationFailed) as caught:
        api_tokens.create_token(user, name)
    assert caught.value.errors == {"name": [message]}


def test_authenticate_finds_the_user_and_refuses_unknown_or_revoked(ctx):
    user = UserFactory()
    plaintext, row = api_tokens.create_token(user, "Script")
    db.session.commit()
    found, token_id = api_tokens.authenticate(plaintext)
    assert found.id == user.id and token_id == row.id
    assert api_tokens.authenticate(plaintext + "x") is None
    assert api_tokens.authenticate("cbm_" + "A" * 43) is None
    assert api_tokens.authenticate("") is None and api_tokens.authenticate(None) is None
    api_tokens.revoke_token(user, row.id)
    db.session.commit()
    assert api_tokens.authenticate(plaintext) is None
    assert api_tokens.tokens_for(user) == []


def test_a_disabled_users_token_fails_and_is_audited(ctx):
    user = UserFactory()
    plaintext, row = api_tokens.create_token(user, "Script")
    users.set_enabled(None, user, False)
    db.session.commit()
    assert api_tokens.authenticate(plaintext) is None
    refused = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "api_token.refused_disabled", AuditEvent.subject_id == row.id)
    ).all()
    assert len(refused) == 1 and refused[0].organisation_id == user.organisation_id


def test_last_used_is_written_at_most_once_a_minute(ctx):
    user = UserFactory()
    plaintext, row = api_tokens.create_token(user, "Script")
    db.session.commit()
    start = clock.now()

    def last_used():
        db.session.expire_all()
        value = db.session.get(ApiToken, row.id).last_used_at
        db.session.rollback()  # authenticate is called before the request's own transaction begins
        return value

    with time_machine.travel(start, tick=False):
        api_tokens.authenticate(plaintext)
        assert last_used() == start
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        api_tokens.authenticate(plaintext)
        assert last_used() == start
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        api_tokens.authenticate(plaintext)
        assert last_used() == start + timedelta(seconds=61)


def test_token_use_is_audited_at_most_once_a_minute(ctx):
    user = UserFactory()
    plaintext, row = api_tokens.create_token(user, "Script")
    db.session.commit()
    expected = (user.id, user.organisation_id, row.prefix)
    db.session.rollback()
    start = clock.now()

    def uses():
        rows = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "api_token.used", AuditEvent.subject_id == row.id)
        ).all()
        found = [(e.actor_id, e.organisation_id, e.after["prefix"]) for e in rows]
        db.session.rollback()
        return found

    for seconds in (0, 10, 59):
        with time_machine.travel(start + timedelta(seconds=seconds), tick=False):
            assert api_tokens.authenticate(plaintext) is not None
    assert uses() == [expected]
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        api_tokens.authenticate(plaintext)
    assert len(uses()) == 2
    assert plaintext not in str(uses())


def test_revoke_only_ones_own_token(ctx):
    owner, other = UserFactory(), UserFactory()
    _plaintext, row = api_tokens.create_token(owner, "Script")
    with pytest.raises(NotFound):
        api_tokens.revoke_token(other, row.id)
    api_tokens.revoke_token(owner, row.id)
    with pytest.raises(NotFound):
        api_tokens.revoke_token(owner, row.id)
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.subject_id == row.id)).all()
    assert actions == ["api_token.created", "api_token.revoked"]
