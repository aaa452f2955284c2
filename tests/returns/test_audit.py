"""Every change the returns services make is written to the audit log in the same transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from app.extensions import db
from app.infra import clock
from app.models import AuditEvent
from app.services.returns import programmes, reminders, review
from app.services.returns.returns import save_return
from tests.returns.support import MEASURES, network, programme_for


def _actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_each_change_is_audited(ctx):
    convenor, members = network(3)
    with clock.frozen(datetime(2026, 10, 1, tzinfo=UTC)):
        programme = programme_for(convenor, members, first="2026-09")
        period = programme.periods[0]
        ret = save_return(
            members[0], programme, period, {"CALLS": 1, "FOOD": 1, "ARREARS": 1}, submit=True, expected_version=0
        )
        review.query(convenor, programme, ret.id, "Check calls")
        save_return(
            members[0], programme, period, {"CALLS": 2, "FOOD": 1, "ARREARS": 1}, submit=True, expected_version=None
        )
        review.accept(convenor, programme, ret.id)
        review.add_lock_exception(convenor, programme, period, members[1].organisation_id, "Late", date(2027, 1, 1))
        reminders.send_to_missing(convenor, programme, period)
        programmes.update_programme(convenor, programme, {"measures": MEASURES[:2]}, expected_version=None)
    assert _actions() == [
        "programme.created",
        "return.submitted",
        "return.queried",
        "return.resubmitted",
        "return.accepted",
        "return.lock_exception",
        "return.reminders_sent",
        "programme.updated",
    ]
    assert programme.current_set.version == 2  # the first set is in use: a new version
