"""Two amendments of the same pledge from the same version at the same moment: exactly one wins."""

import threading

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Bid, Pledge, PledgeRevision, User
from app.services import pledges, totals
from app.services.errors import StaleVersion
from tests.factories import BidFactory, member_of

BASE = {"homes": 100, "regions": ["LON"], "statement": "", "status": "indicative", "accept_terms": True}


def _amend(app, bid_id, user_id, amount, barrier, results):
    with app.app_context():
        try:
            barrier.wait(timeout=10)
            bid, user = db.session.get(Bid, bid_id), db.session.get(User, user_id)
            pledges.save_pledge(user, bid, {**BASE, "amount_pence": amount}, expected_version=1)
            db.session.commit()
            results.append(("ok", amount))
        except StaleVersion:
            db.session.rollback()
            results.append(("conflict", amount))
        except Exception as exc:  # anything else is a failure of the test
            db.session.rollback()
            results.append(("error", repr(exc)))
        finally:
            db.session.remove()


def test_two_concurrent_amendments_one_wins_one_conflicts(app):
    for _round in range(3):  # several rounds, so a lucky ordering cannot hide a race
        with app.app_context():
            bid = BidFactory()
            user = member_of(bid)
            other = member_of(bid)
            pledges.save_pledge(user, bid, {**BASE, "amount_pence": 1_000_000}, expected_version=0)
            pledges.save_pledge(other, bid, {**BASE, "amount_pence": 7_000_000}, expected_version=0)
            db.session.commit()
            bid_id, user_id = bid.id, user.id
            db.session.remove()

        barrier, results = threading.Barrier(2), []
        threads = [
            threading.Thread(target=_amend, args=(app, bid_id, user_id, amount, barrier, results))
            for amount in (2_000_000, 3_000_000)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        outcomes = sorted(kind for kind, _ in results)
        assert outcomes == ["conflict", "ok"], results
        winner = next(amount for kind, amount in results if kind == "ok")
        with app.app_context():
            bid = db.session.get(Bid, bid_id)
            pledge = db.session.scalar(
                sa.select(Pledge).where(Pledge.bid_id == bid_id, Pledge.created_by_id == user_id)
            )
            assert pledge.amount_pence == winner and pledge.version == 2
            assert totals.compute(bid).pledged_pence == winner + 7_000_000
            revisions = db.session.scalars(
                sa.select(PledgeRevision.version).where(PledgeRevision.pledge_id == pledge.id)
            ).all()
            assert sorted(revisions) == [1, 2]
            audit_rows = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.subject_type == "Pledge", AuditEvent.subject_id == pledge.id)
            )
            assert audit_rows == 2
            db.session.remove()
