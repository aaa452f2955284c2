"""Deadlines are judged by the moment a write reached the server, not by when it got through the queue.

Each test holds a request up inside the app (as waiting for the database's write lock would) and moves the
clock past the deadline while it waits: a write received before the deadline is still accepted, and one
received after it is refused, however quickly it is then served.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.infra import clock
from app.models import Bid, Invitation, InvitationStatus, Pledge, PledgeRevision
from app.services import invitation_links, pledges
from app.web.received import HEADER
from tests.api.test_invitations import NEW, invite, token_in

GOOD = {
    "amount_pence": 50_000_000,
    "homes": 2_400,
    "regions": ["NW"],
    "statement": "Grants for tenants' groups.",
    "status": "indicative",
    "accept_terms": True,
}


def _deadline(committed, world) -> datetime:
    def read():
        return db.session.get(Bid, world.bid_id).deadline

    return committed(read)


def _held_up(monkeypatch, module, name, traveller, until: datetime) -> None:
    """Make ``module.name`` wait (the clock jumps to ``until``) before doing its work, as a queue would."""
    original = getattr(module, name)

    def waiting(*args, **kwargs):
        traveller.move_to(until)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, waiting)


def test_a_pledge_received_before_the_deadline_is_accepted_after_waiting_past_it(api, world, committed, monkeypatch):
    deadline = _deadline(committed, world)
    received = deadline - timedelta(seconds=2)
    with time_machine.travel(received, tick=False) as traveller:
        _held_up(monkeypatch, pledges, "_require_member", traveller, deadline + timedelta(seconds=5))
        response = api.put(f"/bids/{world.bid_id}/pledge", world.waiting, json=GOOD)
    assert response.status_code == 201, response.text
    assert datetime.fromisoformat(response.headers[HEADER]) == received

    def saved():
        pledge = db.session.scalar(sa.select(Pledge).where(Pledge.id == response.json["id"]))
        revision = db.session.scalar(sa.select(PledgeRevision).where(PledgeRevision.pledge_id == pledge.id))
        return pledge.updated_at, revision.created_at

    assert committed(saved) == (received, received)  # recorded at the moment it was made


@pytest.mark.parametrize("late", [timedelta(0), timedelta(microseconds=1), timedelta(seconds=1)])
def test_a_pledge_received_at_or_after_the_deadline_is_refused_however_fast(api, world, committed, late):
    deadline = _deadline(committed, world)
    with time_machine.travel(deadline + late, tick=False):
        response = api.put(f"/bids/{world.bid_id}/pledge", world.waiting, json=GOOD)
    assert response.status_code == 409
    assert "The deadline passed at" in response.json["detail"]
    assert datetime.fromisoformat(response.headers[HEADER]) == deadline + late


def test_a_withdrawal_received_before_the_deadline_is_accepted_after_waiting_past_it(
    api, world, committed, monkeypatch
):
    deadline = _deadline(committed, world)
    with time_machine.travel(deadline - timedelta(milliseconds=1), tick=False) as traveller:
        _held_up(monkeypatch, pledges, "_require_member", traveller, deadline + timedelta(seconds=3))
        response = api.delete(f"/bids/{world.bid_id}/pledge", world.member)
    assert response.status_code in (200, 204), response.text


def test_an_invitation_answer_received_before_it_expires_is_accepted_after_waiting_past_it(
    api, world, outbox, committed, monkeypatch
):
    invite(api, world, [{"organisation_name": "Northern Homes", "email": "priya@northern.example"}])
    token = token_in(outbox[0])
    expires = committed(lambda: db.session.scalar(sa.select(Invitation.expires_at).order_by(Invitation.id.desc())))
    received = expires - timedelta(seconds=1)
    with time_machine.travel(received, tick=False) as traveller:
        _held_up(monkeypatch, invitation_links.tokens, "digest", traveller, expires + timedelta(seconds=10))
        response = api.post("/invitations/accept", json={"token": token, **NEW})
    assert response.status_code == 201, response.text
    state = committed(
        lambda: db.session.execute(
            sa.select(Invitation.status, Invitation.responded_at).order_by(Invitation.id.desc())
        ).first()
    )
    assert tuple(state) == (InvitationStatus.ACCEPTED, received)


def test_the_moment_received_is_the_clock_outside_a_request():
    with time_machine.travel(datetime.fromisoformat("2027-06-30T16:00:00+00:00"), tick=False):
        assert clock.received_at() == clock.now()
        moment = clock.now() - timedelta(seconds=30)
        with clock.receiving(moment):
            assert clock.received_at() == moment
        assert clock.received_at() == clock.now()
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.receiving(datetime(2027, 6, 30, 16, 0)).__enter__()
