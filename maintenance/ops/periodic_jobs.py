"""The scheduler process: one table of periodic jobs, each a thin call that logs its counts."""

# Runs in its own process (`maintenance scheduler`), never in web workers. Several may run side by
# side on PostgreSQL: claims use row locks, so each reminder still goes out once. Jobs do not
# fire late and are not dropped: misfire_grace_time=None runs a late job whenever it can,
# coalesce=True folds missed runs into one, max_instances=1 never overlaps a job with itself.

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, is_dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

logger = logging.getLogger("maintenance.ops.periodic_jobs")

MATERIALISE_INTERVAL_SECONDS = 300
REPLAN_INTERVAL_SECONDS = 60
NOTICES_INTERVAL_SECONDS = 30
PURGE_INTERVAL_SECONDS = 24 * 3600
WEBHOOK_INTERVAL_SECONDS = 30


def materialise_job(now: datetime) -> object:
    """Turn due tasks into reminders."""
    from maintenance.services.reminders.materialise import materialise_due

    return materialise_due(now)


def dispatch_job(now: datetime) -> object:
    """Send the reminders that are due."""
    from maintenance.services.reminders.dispatch import dispatch_once

    return dispatch_once(now)


def notices_job(now: datetime) -> object:
    """Queue the messages of sent recalls and notices in the outbox, chunk by chunk."""
    from maintenance.services.notices.fanout import fan_out

    return fan_out(now)


def replan_job(now: datetime) -> object:
    """Re-plan the units of protocols that have a new version."""
    from maintenance.services.schedules.replan import replan_queued

    return {"units re-planned": replan_queued(now.date())}


def webhooks_job(now: datetime) -> object:
    """Send the queued webhook deliveries that are due (retries included)."""
    from maintenance.services.webhooks.delivery import deliver_due

    return deliver_due(now)


def retention_job(now: datetime) -> object:
    """Delete what is past its retention period, unconfirmed sign-ups included."""
    from maintenance.services.retention import apply_retention

    return apply_retention(now)


@dataclass(frozen=True)
class Job:
    """One periodic job: a name, what to call with `now`, and how often (seconds)."""

    name: str
    run: Callable[[datetime], object]
    every: Callable[[Flask], int]


# The whole schedule, in one place.
JOBS: tuple[Job, ...] = (
    Job("dispatch", dispatch_job, lambda app: int(app.config["DISPATCH_INTERVAL_SECONDS"])),
    Job("notices", notices_job, lambda app: NOTICES_INTERVAL_SECONDS),
    Job("materialise", materialise_job, lambda app: MATERIALISE_INTERVAL_SECONDS),
    Job("replan", replan_job, lambda app: REPLAN_INTERVAL_SECONDS),
    Job("webhooks", webhooks_job, lambda app: WEBHOOK_INTERVAL_SECONDS),
    Job("retention", retention_job, lambda app: PURGE_INTERVAL_SECONDS),
)


def run_job(app: Flask, job: Job, now: datetime | None = None) -> object:
    """Run one job in an app context and log what it did; errors are logged, not raised."""
    now = now or datetime.now(UTC)
    with app.app_context():
        try:
            result = job.run(now)
        except Exception:
            logger.exception("job %s failed", job.name)
            return None
        finally:
            from maintenance.extensions import db

            db.session.remove()
    counts = asdict(result) if is_dataclass(result) and not isinstance(result, type) else result
    logger.info("job %s: %s", job.name, counts)
    return result


def build_scheduler(app: Flask) -> BlockingScheduler:
    """A BlockingScheduler with every job of JOBS added."""
    scheduler = BlockingScheduler(timezone=UTC)
    for job in JOBS:
        scheduler.add_job(
            run_job,
            IntervalTrigger(seconds=job.every(app)),
            args=(app, job),
            id=job.name,
            name=job.name,
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,
            # The first run comes right away, so a restart catches up at once.
            next_run_time=datetime.now(UTC),
        )
    return scheduler


def run_scheduler(app: Flask) -> None:
    """Run the jobs until the process is stopped."""
    scheduler = build_scheduler(app)
    logger.info("scheduler started: %s", ", ".join(job.name for job in JOBS))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        logger.info("scheduler stopped")


def dispatch_pass(app: Flask, now: datetime) -> tuple[object, object]:
    """One pass of re-plan, materialise, queue notices, then dispatch (cron and tests)."""
    jobs = {job.name: job for job in JOBS}
    run_job(app, jobs["replan"], now)
    materialised = run_job(app, jobs["materialise"], now)
    run_job(app, jobs["notices"], now)
    dispatched = run_job(app, jobs["dispatch"], now)
    return materialised, dispatched
