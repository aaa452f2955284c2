"""Where the scheduler runs, and the exact one-off close jobs."""

from __future__ import annotations

from datetime import timedelta

import click
import time_machine
from apscheduler.schedulers.background import BackgroundScheduler

from app import create_app
from app.extensions import db
from app.jobs import build_scheduler, plan_exact_closes
from config import TestConfig
from tests.factories import BidFactory
from tests.services.scheduler_helpers import T0


def test_one_off_flask_commands_do_not_start_the_in_process_scheduler(tmp_path):
    with click.Context(click.Command("upgrade")):
        app = create_app(TestConfig, SCHEDULER_ENABLED=True, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.db")
    assert "scheduler" not in app.extensions


def test_the_sweep_interval_comes_from_the_configuration(app, monkeypatch):
    monkeypatch.setitem(app.config, "SWEEP_SECONDS", 7)
    scheduler = build_scheduler(app)
    job = scheduler.get_job("sweep")
    assert job.trigger.interval == timedelta(seconds=7)


def test_an_exact_close_job_for_each_bid_closing_before_the_next_sweep(app, ctx):
    with time_machine.travel(T0, tick=False):
        soon = BidFactory(deadline=T0 + timedelta(seconds=20), grace_minutes=0)
        BidFactory(deadline=T0 + timedelta(hours=2))
        db.session.commit()
        scheduler = BackgroundScheduler(timezone="UTC")
        assert plan_exact_closes(app, scheduler) == 1
        assert plan_exact_closes(app, scheduler) == 0  # not twice
    (job,) = scheduler.get_jobs()
    assert job.id == f"close-{soon.id}-20260302T090020"
    assert job.trigger.run_date == T0 + timedelta(seconds=21)
