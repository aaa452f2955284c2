"""The seeding path: the settable clock it runs under, the shared password hash, and the history it writes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.infra import clock
from app.models import AuditEvent, BidEvent, EmailMessage, EmailStatus, Invitation, PledgeRevision, User
from app.models.types import utcnow
from app.seeding import Member, Seeding
from app.services import audit, invitations
from app.services.errors import ValidationFailed
from tests.factories import PASSWORD, OrganisationFactory, seeded_bid

MOMENT = datetime(2026, 7, 20, 9, 30, tzinfo=UTC)


def test_frozen_clock_answers_its_moment_in_its_own_context_only(ctx):
    seen: list[datetime] = []
    with clock.frozen(MOMENT):
        assert clock.now() == MOMENT and utcnow() == MOMENT
        with clock.frozen(MOMENT + timedelta(days=1)):
            assert clock.now() == MOMENT + timedelta(days=1)
        assert clock.now() == MOMENT
        other = threading.Thread(target=lambda: seen.append(clock.now()))
        other.start()
        other.join()
        event = audit.record("test.frozen", organisation_id=OrganisationFactory().id)
        db.session.flush()
    assert event.created_at == MOMENT  # a column default follows the frozen clock too
    assert seen[0] > MOMENT + timedelta(days=100)  # another thread (a request) keeps the real time
    assert clock.now() > MOMENT + timedelta(days=100)


def test_frozen_clock_refuses_a_naive_moment():
    with pytest.raises(ValueError, match="timezone-aware"), clock.frozen(datetime(2026, 7, 20, 9)):
        pass


def test_seeded_accounts_share_one_hash_and_other_passwords_still_get_their_own(ctx):
    with Seeding(PASSWORD, password_hash="pbkdf2:sha256:1$salt$not-used-to-log-in") as seeding:
        inside = User(email="a@example.org", name="A", organisation_id=OrganisationFactory().id)
        inside.set_password(PASSWORD)
        different = User(email="b@example.org", name="B")
        different.set_password("another-long-passphrase")
        assert seeding.password_hash == inside.password_hash
    outside = User(email="c@example.org", name="C")
    outside.set_password(PASSWORD)
    assert inside.password_hash == "pbkdf2:sha256:1$salt$not-used-to-log-in"
    assert different.check_password("another-long-passphrase") and different.password_hash != inside.password_hash
    assert outside.check_password(PASSWORD) and outside.password_hash != inside.password_hash


def test_seeded_bid_history_is_written_by_the_services_in_time_order(ctx, outbox):
    bid, users = seeded_bid(members=4, pledged=3)
    db.session.commit()
    assert outbox == []
    assert len(users) == 4 and all(u.check_password(PASSWORD) for u in users)
    revisions = db.session.scalars(sa.select(PledgeRevision).order_by(PledgeRevision.id)).all()
    # members 1-3 pledge indicatively an hour after accepting; 1 and 3 confirm later, in time order
    assert [r.action for r in revisions] == ["created", "created", "created", "confirmed", "confirmed"]
    kinds = [e.kind for e in db.session.scalars(sa.select(BidEvent).order_by(BidEvent.id))]
    assert kinds[0] == "bid.status" and kinds.count("invitation.accepted") == 4
    stamps = [e.created_at for e in db.session.scalars(sa.select(BidEvent).order_by(BidEvent.id))]
    assert stamps == sorted(stamps) and bid.opened_at <= stamps[0] < stamps[-1] < clock.now()
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.bid_id == bid.id)).all()
    assert actions.count("invitation.sent") == 4 and actions.count("invitation.accepted") == 4
    emails = db.session.scalars(sa.select(EmailMessage)).all()
    assert {e.kind for e in emails} == {"invitation", "pledge_receipt"}
    assert all(e.status == EmailStatus.SENT and e.sent_at == e.created_at for e in emails)


def test_a_refused_step_stops_the_run_with_the_services_reason(ctx):
    bid, _users = seeded_bid(members=1, pledged=0)
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.bid_id == bid.id))
    again = Member(organisation={"name": "Another name"}, email=invitation.email, person="X", invited_at=MOMENT)
    with pytest.raises(ValidationFailed) as refused, Seeding(PASSWORD, password_hash="x") as seeding:
        seeding.invite(bid.created_by, bid, [again], clock.now())
    assert refused.value.errors == {"line 1": ["This email address was already invited to this bid (accepted)."]}


def test_an_email_queued_before_the_run_is_still_sent_and_the_runs_own_are_not(ctx, outbox):
    bid, _users = seeded_bid(members=1, pledged=0)
    db.session.commit()
    invitations.invite(bid.created_by, bid, "Caller Homes", "caller@example.org")  # the caller's, before the run
    late = Member(organisation={"name": "Late Homes"}, email="late@example.org", person="L", invited_at=MOMENT)
    with Seeding(PASSWORD, password_hash="x") as seeding:
        seeding.invite(bid.created_by, bid, [late], clock.now() - timedelta(hours=1))
    db.session.commit()
    assert [m.to for m in outbox] == [["caller@example.org"]]
    states = dict(db.session.execute(sa.select(EmailMessage.to_address, EmailMessage.status)).all())
    assert states["late@example.org"] == EmailStatus.SENT and states["caller@example.org"] == EmailStatus.SENT
