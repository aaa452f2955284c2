"""The pledge POST's statements with nothing around them (bench/post_statements.py) do the amendment's work."""

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, BidEvent, EmailMessage, Pledge, PledgeRevision
from app.models.pledge_shares import PledgeRegionShare
from app.services import pledges
from bench import post_statements
from tests.factories import BidFactory, member_of
from tests.services.test_pledges import GOOD


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_an_amendment_writes_what_the_page_would(ctx, outbox):
    bid = BidFactory()
    user = member_of(bid)
    pledges.save_pledge(user, bid, GOOD, expected_version=0)
    db.session.commit()
    before = {m: _count(m) for m in (PledgeRevision, AuditEvent, BidEvent, EmailMessage)}
    conn = db.session.connection()
    amender = post_statements.Amender.for_member(conn, user.email, bid.id)
    for n in (1, 2):
        post_statements.amend(conn, amender, n)
        db.session.commit()
        conn = db.session.connection()
    db.session.expire_all()
    pledge = db.session.scalar(sa.select(Pledge))
    assert (pledge.version, pledge.amount_pence) == (3, 200_002)
    added = {m: _count(m) - before[m] for m in before}
    assert added == {PledgeRevision: 2, AuditEvent: 2, BidEvent: 2, EmailMessage: 2}
    assert db.session.scalars(sa.select(PledgeRevision.version).order_by(PledgeRevision.version)).all() == [1, 2, 3]
    shares = db.session.execute(sa.select(PledgeRegionShare.region, PledgeRegionShare.amount_pence)).all()
    assert sorted(shares) == [("NE", 100_001), ("NW", 100_001)]
    # Nothing it queued is for the sender: the receipt rows are marked sent.
    assert (
        _count(EmailMessage)
        - db.session.scalar(sa.select(sa.func.count()).select_from(EmailMessage).where(EmailMessage.status == "sent"))
        == 0
    )
