"""Helpers for live tests: set a scene, pledge through the service, read SSE messages from a response."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import sqlalchemy as sa

from app.extensions import db
from app.models import Bid, User
from app.services import pledges
from tests.factories import BidFactory, ConvenorFactory, InvitationFactory, UserFactory, member_of


def make_scene(app, **bid_values) -> SimpleNamespace:
    """A bid with two joined members, an outsider, a merely invited organisation and another convenor."""
    with app.app_context():
        bid = BidFactory(**bid_values)
        riverside = member_of(bid, name="Riverside Homes")
        other = member_of(bid, name="Harbour Light Homes")
        elsewhere = member_of(BidFactory(), name="Elsewhere Housing")
        invited = UserFactory()
        InvitationFactory(bid=bid, organisation=invited.organisation, email=invited.email)
        stranger = ConvenorFactory()
        scene = SimpleNamespace(
            bid_id=bid.id,
            convenor=bid.created_by.email,
            riverside=riverside.email,
            other=other.email,
            elsewhere=elsewhere.email,
            invited=invited.email,
            stranger=stranger.email,
        )
        db.session.commit()
        db.session.remove()
    return scene


def pledge_as(app, email: str, bid_id: int, pence: int, status: str = "confirmed") -> None:
    """Save a pledge through the service and commit, as a view would (the commit wakes the broker).

    A fresh app context first: a test-client stream suspended mid-iteration leaves its own context pushed.
    """
    with app.app_context(), app.test_request_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        bid = db.session.get(Bid, bid_id)
        values = {"amount_pence": pence, "homes": 1_000, "regions": ["NW"], "statement": "", "status": status}
        pledges.save_pledge(user, bid, {**values, "accept_terms": True}, expected_version=None)
        db.session.commit()
        db.session.remove()


def parse(block: str) -> dict:
    message: dict = {"comments": []}
    data = []
    for line in block.split("\n"):
        if line.startswith(":"):
            message["comments"].append(line[1:].strip())
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "data":
            data.append(value)
        elif field in ("id", "event", "retry"):
            message[field] = value
    if data:
        message["data"] = json.loads("\n".join(data))
    return message


class Reader:
    """Reads an SSE response from the test client one message at a time (a bounded number of chunks)."""

    def __init__(self, response):
        self.response = response
        self.chunks = iter(response.response)
        self.buffer = ""
        self.raw = ""
        self.ended = False

    def next_message(self, *, max_chunks: int = 200) -> dict | None:
        for _ in range(max_chunks):
            if "\n\n" in self.buffer:
                block, self.buffer = self.buffer.split("\n\n", 1)
                return parse(block)
            try:
                chunk = next(self.chunks)
            except StopIteration:
                self.ended = True
                return None
            text = chunk.decode() if isinstance(chunk, bytes) else chunk
            self.buffer += text
            self.raw += text
        raise AssertionError("no complete message within the chunk budget")

    def until(self, predicate, *, seconds: float = 5) -> list[dict]:
        """Messages up to and including the first that satisfies ``predicate``."""
        seen = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            message = self.next_message()
            if message is None:
                break
            seen.append(message)
            if predicate(message):
                return seen
        raise AssertionError(f"condition not met; saw {[m.get('event') or m['comments'] for m in seen]}")

    def close(self):
        self.response.close()
