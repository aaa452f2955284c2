"""A bid with members, pledges and letters for the bid pack tests."""

from __future__ import annotations

import itertools
from contextlib import contextmanager

import pytest

from app.extensions import db
from app.models import PledgeStatus
from app.services import letters
from tests.factories import BidFactory, member_of, pledge_for
from tests.pdfs import make_pdf

_BIDS = itertools.count(1)

HOSTILE_NAMES = [
    '<img src="http://127.0.0.1:9/x.png"/> Housing',
    "Smith & Jones <para>Homes</para>",
    "مساكن الشمال",  # Arabic, right to left
    "Homes 🏠 for All 🌍",
    '=HYPERLINK("http://evil") Trust',
]


def populated_bid(*, members: int = 4, letters_for: int = 2, names: list[str] | None = None, **bid_values):
    """An open bid with ``members`` live pledges (amounts with odd pence), the first ``letters_for`` with letters."""
    bid = BidFactory(**bid_values)
    series = next(_BIDS)
    names = [f"Member Housing Association {series}.{i + 1}" for i in range(members)] if names is None else names
    users = []
    for index, name in enumerate(names):
        user = member_of(bid, name=name)
        pledge_for(
            user,
            bid,
            amount_pence=1_000_000 * (index + 1) + 37 * (index + 1),
            homes=1_000 + index * 111,
            regions=["NW", "YH"] if index % 2 else ["LON"],
            status=PledgeStatus.CONFIRMED if index % 3 else PledgeStatus.INDICATIVE,
            statement=f"Grants for community groups near {name}.",
            in_grace=index == 1,
        )
        if index < letters_for:
            letters.upload_letter(user, bid, make_pdf(f"Letter of commitment from {name}"), f"letter {index}.pdf")
        users.append(user)
    db.session.commit()
    return bid, users


@contextmanager
def outside(app):
    """A block in its own app context and session that commits at the end, away from the requests' sessions.

    Page tests set up and inspect data in these blocks so that requests never share the test's session
    (or its ``g``, which would carry a stale CSRF token between requests).
    """
    with app.app_context():
        try:
            yield db.session
            db.session.commit()
        finally:
            db.session.remove()


@pytest.fixture
def signed_in(make_browser):
    """A new browser (its own cookies) logged in as ``email``."""

    def as_user(email: str):
        browser = make_browser()
        browser.login(email)
        return browser

    return as_user
