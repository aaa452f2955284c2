"""The scheduler: APScheduler 3.x running idempotent sweeps that call services."""

from __future__ import annotations

import contextlib
import logging

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

log = logging.getLogger(__name__)


def sweep(app: Flask) -> dict:
    """One pass of every periodic job. Safe to run at any time, in any number of processes."""
    from app.extensions import db
    from app.services import scheduling

    with app.app_context():
        try:
            return scheduling.run_sweep()
        finally:
            db.session.remove()


def build_scheduler(app: Flask, scheduler_class=BackgroundScheduler):
    scheduler = scheduler_class(
        timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
    )
    from datetime import UTC, datetime

    scheduler.add_job(
        sweep,
        "interval",
        seconds=app.config.get("SWEEP_SECONDS", 30),
        args=[app],
        id="sweep",
        next_run_time=datetime.now(UTC),
    )
    return scheduler


def start_in_process(app: Flask) -> BackgroundScheduler:
    """Under ``make run``: the sweep runs inside the web process (one process, so once)."""
    scheduler = build_scheduler(app)
    scheduler.start()
    app.extensions["scheduler"] = scheduler
    log.info("scheduler started in-process")
    return scheduler


def run_blocking(app: Flask) -> None:
    """``flask scheduler run``: the sweep in the foreground until interrupted."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = build_scheduler(app, BlockingScheduler)
    log.info("scheduler running; press Ctrl+C to stop")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
