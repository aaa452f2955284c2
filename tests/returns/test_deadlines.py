"""Due and lock moments are the end of the day in UK time, decided by the clock on every write: across the GMT
and BST changes, the second before and after; lock exceptions reopen a period for one organisation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.infra import clock
from app.models import AuditEvent
from app.services.errors import ValidationFailed
from app.services.returns import periods, review
from app.services.returns.returns import OutliersFound, ReturnLocked, current_return, save_return
from tests.returns.support import network, programme_for

FIGURES = {"CALLS": 5, "FOOD": 1, "ARREARS": 2}


@pytest.mark.parametrize(
    ("first", "due", "lock"),
    [
        # September ends in BST; due 15 October (BST, 23:00 UTC); lock 14 November (GMT, midnight UTC)
        ("2026-09", datetime(2026, 10, 15, 23, 0, tzinfo=UTC), datetime(2026, 11, 15, 0, 0, tzinfo=UTC)),
        # February ends in GMT; due 15 March (GMT); lock 14 April (BST)
        ("2026-02", datetime(2026, 3, 16, 0, 0, tzinfo=UTC), datetime(2026, 4, 14, 23, 0, tzinfo=UTC)),
        # a combined range: the moments follow its last month
        ("2020-03..2020-04", datetime(2020, 5, 15, 23, 0, tzinfo=UTC), datetime(2020, 6, 14, 23, 0, tzinfo=UTC)),
    ],
)
def test_due_and_lock_are_the_end_of_the_uk_day(ctx, first, due, lock):
    _start, end = periods.parse_key(first)
    assert periods.due_at(end, 15) == due
    assert periods.lock_at(end, 45) == lock
    assert periods.lock_at(end, 0) is None


def _setup(first="2026-09", **kw):
    convenor, members = network(3)
    with clock.frozen(datetime(2026, 10, 1, 9, tzinfo=UTC)):
        programme = programme_for(convenor, members, first=first, **kw)
    return convenor, members, programme, programme.periods[0]


def test_a_return_one_second_before_the_due_moment_is_on_time_and_at_it_late(ctx):
    _, members, programme, period = _setup()
    with clock.frozen(period.due_at - timedelta(seconds=1)):
        assert save_return(members[0], programme, period, FIGURES, submit=True, expected_version=0).late is False
    with clock.frozen(period.due_at):
        assert save_return(members[1], programme, period, FIGURES, submit=True, expected_version=0).late is True


def test_one_second_after_the_lock_is_refused_with_a_clear_message_and_nothing_saved(ctx):
    _, members, programme, period = _setup()
    with clock.frozen(period.lock_at - timedelta(seconds=1)):
        saved = save_return(members[0], programme, period, FIGURES, submit=True, expected_version=0)
        assert saved.late is True  # late but before the lock: accepted and marked
    with clock.frozen(period.lock_at + timedelta(seconds=1)), pytest.raises(ReturnLocked) as refused:
        save_return(members[1], programme, period, FIGURES, submit=True, expected_version=0)
    assert "locked at midnight on Sunday 15 November 2026" in refused.value.message
    assert current_return(period, members[1].organisation_id) is None


def test_a_lock_exception_reopens_for_one_organisation_until_its_end_date_and_is_audited(ctx):
    convenor, members, programme, period = _setup()
    after_lock = period.lock_at + timedelta(days=1)
    with clock.frozen(after_lock):
        exception = review.add_lock_exception(
            convenor, programme, period, members[0].organisation_id, "Finance figures were late", date(2026, 11, 20)
        )
        assert exception.ends_at == datetime(2026, 11, 21, 0, 0, tzinfo=UTC)
        save_return(members[0], programme, period, FIGURES, submit=True, expected_version=0)
        with pytest.raises(ReturnLocked):
            save_return(members[1], programme, period, FIGURES, submit=True, expected_version=0)
    with clock.frozen(exception.ends_at), pytest.raises(ReturnLocked):
        save_return(members[0], programme, period, {**FIGURES, "CALLS": 6}, submit=True, expected_version=None)
    assert ctx.extensions["sqlalchemy"].session.query(AuditEvent).filter_by(action="return.lock_exception").count() == 1


@pytest.mark.parametrize(
    ("organisation", "reason", "end", "field"),
    [
        (None, "Late figures", date(2026, 12, 1), "organisation_id"),
        ("member", "", date(2026, 12, 1), "reason"),
        ("member", "Late figures", None, "end_date"),
        ("member", "Late figures", date(2026, 1, 1), "end_date"),
    ],
)
def test_bad_lock_exceptions_are_refused(ctx, organisation, reason, end, field):
    convenor, members, programme, period = _setup()
    org_id = members[0].organisation_id if organisation else None
    with clock.frozen(period.lock_at + timedelta(days=1)), pytest.raises(ValidationFailed) as refused:
        review.add_lock_exception(convenor, programme, period, org_id, reason, end)
    assert field in refused.value.errors


def test_figures_far_outside_the_organisations_history_need_confirming(ctx):
    _, members, programme, _ = _setup(first="2026-06")
    user = members[0]
    for n, period in enumerate(programme.periods[:3]):
        with clock.frozen(period.due_at - timedelta(days=1)):
            save_return(user, programme, period, {**FIGURES, "CALLS": 100 + n}, submit=True, expected_version=0)
    with clock.frozen(datetime(2026, 10, 2, tzinfo=UTC)):
        periods.ensure_periods(programme)
    fourth = programme.periods[3]
    with clock.frozen(fourth.due_at - timedelta(days=1)):
        with pytest.raises(OutliersFound) as warned:
            save_return(user, programme, fourth, {**FIGURES, "CALLS": 1000}, submit=True, expected_version=0)
        assert "values.CALLS" in warned.value.warnings and current_return(fourth, user.organisation_id) is None
        with pytest.raises(OutliersFound):
            save_return(user, programme, fourth, {**FIGURES, "CALLS": 19}, submit=True, expected_version=0)
        saved = save_return(
            user, programme, fourth, {**FIGURES, "CALLS": 1000}, submit=True, expected_version=0, confirm=True
        )
    assert saved.values["CALLS"] == 1000


def test_the_sweep_opens_each_period_once(ctx):
    from app.extensions import db
    from app.services.returns.periods import open_due

    _, _, programme, _ = _setup()
    db.session.commit()  # the sweep ends its read before its units
    with clock.frozen(datetime(2026, 11, 1, 0, 0, tzinfo=UTC)):  # 31 October ends at midnight GMT
        assert open_due() == 1
        assert open_due() == 0
    assert [p.key for p in programme.periods] == ["2026-09", "2026-10"]
    with clock.frozen(datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC)):
        assert open_due() == 0
