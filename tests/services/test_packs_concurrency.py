"""Two convenors generating at the same moment get consecutive versions, never a clash or a lost pack."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Bid, BidPack, User
from app.services import packs
from tests.packdata import outside, populated_bid
from tests.pdfs import clean_storage

pytestmark = pytest.mark.usefixtures(clean_storage.__name__)


def test_simultaneous_generations_get_consecutive_versions(app):
    with outside(app):
        bid, _users = populated_bid(members=3, letters_for=1)
        bid_id, convenor_id = bid.id, bid.created_by_id
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def generate() -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                packs.generate_pack(db.session.get(User, convenor_id), db.session.get(Bid, bid_id))
                db.session.commit()
                db.session.remove()
        except BaseException as exc:  # reported below, so a failure in a thread fails the test
            errors.append(exc)

    threads = [threading.Thread(target=generate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with outside(app) as session:
        rows = session.scalars(sa.select(BidPack).where(BidPack.bid_id == bid_id).order_by(BidPack.version)).all()
        assert [p.version for p in rows] == [1, 2]
        for pack in rows:
            for kind in packs.FILE_NAMES:
                assert packs.read_file(pack, kind)
