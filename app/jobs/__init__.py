"""The scheduler: APScheduler 3.x running idempotent sweeps that call services.

The periodic sweep is what makes closing and reminders certain; one-off 'date' jobs at each deadline that
falls before the next sweep only make closing prompt (to the second rather than to the sweep interval).
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from app import notifications
from app.extensions import db
from app.services import scheduling

log = logging.getLogger(__name__)


def sweep(app: Flask, scheduler=None) -> dict:
    """One pass of every periodic job. Safe to run at any time, in any number of processes."""
    with app.app_context():
        try:
            result = scheduling.run_sweep()
            if scheduler is not None:
                plan_exact_closes(app, scheduler)
            return result
        finally:
            db.session.remove()


def close_now(app: Flask) -> list[int]:
    """The one-off job at a deadline: close what is due (the same idempotent service as the sweep)."""
    with app.app_context():
        try:
            closed = scheduling.close_due_bids()
            notifications.send_pending()
            return closed
        finally:
            db.session.remove()


def plan_exact_closes(app: Flask, scheduler) -> int:
    """Add a 'date' job at the close of each open bid whose deadline falls before the next sweep."""
    interval = timedelta(seconds=app.config.get("SWEEP_SECONDS", 30))
    added = 0
    for bid_id, ends in scheduling.upcoming_closes(interval * 2):
        job_id = f"close-{bid_id}-{ends:%Y%m%dT%H%M%S}"
        if scheduler.get_job(job_id) is None:
            # A second past the close, so the clock rule (now >= grace end) holds when it runs.
            scheduler.add_job(
                close_now, "date", run_date=ends + timedelta(seconds=1), args=[app], id=job_id, misfire_grace_time=60
            )
            added += 1
    return added


def build_scheduler(app: Flask, scheduler_class=BackgroundScheduler):
    scheduler = scheduler_class(
        timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
    )
    scheduler.add_job(
        sweep,
        "interval",
        seconds=app.config.get("SWEEP_SECONDS", 30),
        args=[app, scheduler],
        id="sweep",
        next_run_time=datetime.now(UTC),  # catch up at once on start: overdue bids close, stale reminders skip
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
    in_process = app.extensions.pop("scheduler", None)
    if in_process is not None:  # SCHEDULER_ENABLED was on for this process too: run one scheduler, not two
        in_process.shutdown(wait=False)
    scheduler = build_scheduler(app, BlockingScheduler)
    log.info("scheduler running every %s seconds; press Ctrl+C to stop", app.config.get("SWEEP_SECONDS", 30))
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
