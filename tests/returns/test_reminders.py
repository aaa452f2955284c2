"""Return reminders: only to organisations that have not submitted, exactly once per organisation, period and
step, including after the due date; missed steps after an outage skipped, the latest sent; two sweepers on
PostgreSQL send each once."""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.infra import clock
from app.models import EmailMessage, ReturnReminder
from app.services.errors import ValidationFailed
from app.services.returns import reminders
from app.services.returns.returns import save_return
from tests.conftest import POSTGRES
from tests.returns.support import network, programme_for

FIGURES = {"CALLS": 1, "FOOD": 1, "ARREARS": 1}
DUE = datetime(2026, 10, 15, 23, 0, tzinfo=UTC)  # September's returns: end of 15 October, BST


def _setup(n=3):
    convenor, members = network(n)
    with clock.frozen(datetime(2026, 10, 1, 9, tzinfo=UTC)):
        programme = programme_for(convenor, members, first="2026-09")
    return convenor, members, programme


def _rows():
    return db.session.execute(
        sa.select(ReturnReminder.organisation_id, ReturnReminder.step, ReturnReminder.outcome)
    ).all()


def test_reminders_go_once_to_those_who_have_not_submitted_before_and_after_the_due_date(ctx):
    _, members, programme = _setup()
    period = programme.periods[0]
    with clock.frozen(DUE - timedelta(days=5)):
        save_return(members[0], programme, period, FIGURES, submit=True, expected_version=0)
    db.session.commit()
    with clock.frozen(DUE - timedelta(days=3)):
        assert reminders.send_due()["return_reminders_sent"] == 2  # the 10-day step was skipped: 3 days also due
        assert reminders.send_due()["return_reminders_sent"] == 0
    assert sorted((s, o) for _, s, o in _rows()) == [("-10", "skipped")] * 2 + [("-3", "sent")] * 2
    with clock.frozen(DUE + timedelta(days=3, seconds=1)):  # overdue reminders fire too
        counts = reminders.send_due()
    assert counts == {"return_reminders_sent": 2, "return_reminders_skipped": 2}  # on the day skipped, +3 sent
    overdue = db.session.scalars(sa.select(EmailMessage).order_by(EmailMessage.id.desc())).first()
    assert overdue.subject.startswith("Overdue: your 2026-09 return") and "end of Thursday 15 October 2026" in (
        overdue.body_text
    )
    assert members[0].organisation_id not in {o for o, _, _ in _rows()}


def test_steps_after_the_lock_are_recorded_as_skipped(ctx):
    _, _, programme = _setup(1)
    db.session.commit()
    with clock.frozen(programme.periods[0].lock_at + timedelta(hours=1)):
        reminders.send_due()
    assert {o for _, _, o in _rows()} == {"skipped"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EmailMessage)) == 0


def test_the_one_click_reminder_reaches_every_missing_organisation(ctx):
    convenor, members, programme = _setup()
    period = programme.periods[0]
    with clock.frozen(DUE + timedelta(days=1)):
        save_return(members[1], programme, period, FIGURES, submit=True, expected_version=0)
        assert reminders.send_to_missing(convenor, programme, period) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EmailMessage)) == 2


def test_a_batch_that_meets_an_earlier_claim_claims_only_the_others(ctx):
    _, _, programme = _setup()
    period = programme.periods[0]
    with clock.frozen(DUE - timedelta(days=3)):
        people = reminders.not_submitted(period)
        assert len(reminders.claim_all(period, "-3", people[:1], clock.now(), skip=None)) == 1
        claimed = reminders.claim_all(period, "-3", people, clock.now(), skip=None)
    db.session.commit()
    assert claimed == people[1:]  # the batch clashed on the first, was undone, and the others were claimed one by one
    assert sorted(o for o, _, _ in _rows()) == sorted(p[0] for p in people)
    linked = db.session.scalars(sa.select(ReturnReminder.email_id)).all()
    assert sorted(linked) == sorted(db.session.scalars(sa.select(EmailMessage.id)).all())  # one email per claim


@pytest.mark.postgres
def test_two_sweepers_send_each_reminder_once(app, monkeypatch):
    assert POSTGRES
    with app.app_context():
        with clock.frozen(datetime(2026, 10, 1, 9, tzinfo=UTC)):
            for _ in range(3):
                convenor, members = network(10, prefix=f"Net{_}")
                programme_for(convenor, members, first="2026-09")
        db.session.commit()
        db.session.remove()
    meet = threading.Barrier(2)
    found = reminders.not_submitted

    def together(period):
        with contextlib.suppress(threading.BrokenBarrierError):
            meet.wait(timeout=3)
        return found(period)

    monkeypatch.setattr(reminders, "not_submitted", together)
    results, errors = [], []
    start = threading.Barrier(2)

    def work():
        with app.app_context():
            try:
                start.wait(timeout=30)
                results.append(reminders.send_due())
            except Exception as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    with time_machine.travel(DUE + timedelta(days=3, hours=1), tick=False):
        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert errors == []
    assert sum(r["return_reminders_sent"] for r in results) == 30  # 3 programmes × 10 organisations, the +3 step
    with app.app_context():
        rows = _rows()
        assert len(rows) == 30 * 4 == len(set(rows))  # −10, −3 and 0 skipped, +3 sent: each once
        assert db.session.scalar(sa.select(sa.func.count()).select_from(EmailMessage)) == 30


def test_the_area_registers_its_sweep_steps(app):
    from app.infra import sweeps

    names = [s.name for s in sweeps.registered()]
    assert names.index("return periods") < names.index("reminders") < names.index("return reminders")


def test_the_summary_goes_to_each_organisation_that_submitted_in_the_range(ctx):
    from app.services.returns import summary_links

    convenor, members, programme = _setup()
    period = programme.periods[0]
    with clock.frozen(DUE - timedelta(days=1)):
        for user in members[:2]:
            save_return(user, programme, period, FIGURES, submit=True, expected_version=0)
        made = summary_links.send_summary(convenor, programme, "2026-09", "2026-09")
    assert len(made) == 2
    sent = db.session.scalars(sa.select(EmailMessage)).all()
    assert sorted(m.to_address for m in sent) == sorted(u.email for u in members[:2])
    # each email carries its own private link, never the login page's address
    tokens = {token for _, token in made}
    assert all(any(f"/s/{t}" in m.body_text for t in tokens) for m in sent)
    assert "/programmes/" not in sent[0].body_text
    with pytest.raises(ValidationFailed):
        summary_links.send_summary(convenor, programme, "2026-10", "2026-09")
