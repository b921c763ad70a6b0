"""The scheduler's job table and the `dispatch` command."""

from __future__ import annotations

from datetime import date

from flask import Flask

from maintenance.ops.periodic_jobs import JOBS, build_scheduler
from tests.builders import make_owner, make_planned_unit, own, reminders, set_due
from tests.fakes import FakeSmtpServer


def test_every_job_runs_late_rather_than_never_and_never_overlaps_itself(app: Flask) -> None:
    scheduler = build_scheduler(app)

    jobs = {job.id: job for job in scheduler.get_jobs()}

    assert set(jobs) == {job.name for job in JOBS} >= {"dispatch", "materialise"}
    for job in jobs.values():
        assert job.misfire_grace_time is None
        assert job.coalesce is True
        assert job.max_instances == 1
    assert (
        jobs["dispatch"].trigger.interval.total_seconds() == app.config["DISPATCH_INTERVAL_SECONDS"]
    )


def test_web_app_starts_no_scheduler(app: Flask) -> None:
    import threading

    app.test_client().get("/")

    assert not any("APScheduler" in thread.name for thread in threading.enumerate())


def test_dispatch_command_materialises_and_sends_one_pass(
    app: Flask, db: object, mail: FakeSmtpServer
) -> None:
    owner = make_owner()
    unit = make_planned_unit(date(2025, 3, 10))
    own(owner, unit)
    set_due(unit, clean_filter=date(2025, 3, 10))

    first = app.test_cli_runner().invoke(args=["dispatch", "--now", "2025-03-10T08:00:00Z"])
    second = app.test_cli_runner().invoke(args=["dispatch", "--now", "2025-03-10T08:05:00Z"])

    assert first.exit_code == 0, first.output
    assert "'sent': 1" in first.output
    assert "'sent': 0" in second.output
    assert len(mail.messages) == 1
    assert reminders()[0].sent_at.date() == date(2025, 3, 10)


def test_dispatch_command_refuses_a_bad_date(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["dispatch", "--now", "tomorrow"])

    assert result.exit_code != 0
    assert "ISO 8601" in result.output
