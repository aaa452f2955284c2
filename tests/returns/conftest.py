"""Fixtures for the impact returns tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.extensions import db
from app.infra import clock
from tests.returns.support import network, programme_for

NOW = datetime(2020, 6, 1, 9, tzinfo=UTC)


@pytest.fixture
def setup(app):
    """A convenor, four member organisations and a programme from March–April 2020, committed."""
    with app.app_context(), clock.frozen(NOW):
        convenor, members = network(4)
        programme = programme_for(convenor, members)
        db.session.commit()
        return {"convenor": convenor.email, "members": [m.email for m in members], "id": programme.id}
