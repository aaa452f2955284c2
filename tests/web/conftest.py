"""Helpers for page tests: set up and inspect data outside the requests, log in as someone."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.factories import BidFactory, ConvenorFactory


@pytest.fixture
def data(app):
    """``with data() as s:`` runs in its own app context and session, commits at the end.

    Requests made by the test client then get their own session, as they do in production, so a
    page never sees objects the test has not committed. Read ids inside the block.
    """

    @contextmanager
    def block():
        with app.app_context():
            try:
                yield db.session
                db.session.commit()
            finally:
                db.session.remove()

    return block


@pytest.fixture
def count(data):
    """Rows of a model, optionally filtered: ``count(Pledge, Pledge.bid_id == 1)``."""

    def counter(model, *where) -> int:
        with data() as s:
            return s.scalar(sa.select(sa.func.count()).select_from(model).where(*where))

    return counter


@pytest.fixture
def login(make_browser):
    """A new browser (its own cookies) logged in as ``email``."""

    def as_user(email: str):
        browser = make_browser()
        browser.login(email)
        return browser

    return as_user


@pytest.fixture
def convenor(data):
    with data():
        return ConvenorFactory(email="convenor@example.org").email


@pytest.fixture
def open_bid(data):
    """An open bid with its convenor's email: (bid_id, convenor_email)."""
    with data():
        bid = BidFactory(title="Open bid", target_pence=600_000_000)
        return bid.id, bid.created_by.email
