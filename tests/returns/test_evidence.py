"""Evidence for bids: a programme and a range of periods attached to a bid; the bid pack's "Evidence from our
members" section carries the figures (small numbers suppressed), frozen in that pack version."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.extensions import db
from app.infra import clock
from app.models import AuditEvent, Bid
from app.services import packs
from app.services.errors import ValidationFailed
from app.services.returns import evidence
from app.services.returns.returns import save_return
from tests.pdfs import clean_storage
from tests.returns.support import network, programme_for

pytestmark = pytest.mark.usefixtures(clean_storage.__name__)


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def test_the_pack_freezes_the_attached_figures(ctx):
    convenor, members = network(4)
    bid = db.session.scalar(sa.select(Bid).where(Bid.organisation_id == convenor.organisation_id))
    with clock.frozen(datetime(2020, 6, 2, tzinfo=UTC)):
        programme = programme_for(convenor, members)
        for n, user in enumerate(members[:3]):
            for period in programme.periods:
                save_return(
                    user,
                    programme,
                    period,
                    {"CALLS": 10 + n, "FOOD": 7 if n == 0 else None, "ARREARS": 2},
                    submit=True,
                    expected_version=0,
                )
        evidence.attach_evidence(convenor, programme, bid.id, "2020-03..2020-04", "2020-05")
    first = packs.generate_pack(convenor, bid)
    text = _text(packs.read_file(first, "pdf"))
    assert "Evidence from our members" in text and "3 organisations contributed" in text
    assert "33" in text and "fewer than 3" in text  # CALLS 10+11+12; FOOD from one organisation
    # a later amendment changes the next version, never the one already made
    with clock.frozen(datetime(2020, 6, 3, tzinfo=UTC)):
        save_return(
            members[3],
            programme,
            programme.periods[1],
            {"CALLS": 100, "FOOD": 1, "ARREARS": 2},
            submit=True,
            expected_version=0,
        )
    second = packs.generate_pack(convenor, bid)
    assert "133" in _text(packs.read_file(second, "pdf"))
    assert "133" not in _text(packs.read_file(first, "pdf"))
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "bid.evidence_attached")
        )
        == 1
    )


def test_evidence_needs_the_bodys_own_bid_and_a_real_range(ctx):
    convenor, members = network(2)
    other, _ = network(1, prefix="Other")
    other_bid = db.session.scalar(sa.select(Bid).where(Bid.organisation_id == other.organisation_id))
    with clock.frozen(datetime(2020, 6, 2, tzinfo=UTC)):
        programme = programme_for(convenor, members)
    bid = db.session.scalar(sa.select(Bid).where(Bid.organisation_id == convenor.organisation_id))
    for bid_id, start, end, field in [
        (other_bid.id, "2020-05", "2020-05", "bid_id"),
        (bid.id, "2020-05", "2020-03..2020-04", "from_period"),
        (bid.id, "2019-01", "2020-05", "from_period"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            evidence.attach_evidence(convenor, programme, bid_id, start, end)
        assert field in refused.value.errors
    assert evidence.evidence_for(bid) is None
