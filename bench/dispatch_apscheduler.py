"""The dispatch bench's rejected design: one APScheduler 3 date job per reminder in a job store."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta

APSCHEDULER_RUN_TIMEOUT = 300.0  # seconds for the scheduler to run the due jobs
APSCHEDULER_TABLE = "bench_apscheduler_jobs"


def rss_bytes() -> int:
    """This process's resident memory."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def run_apscheduler(url: str, jobs: int, due: int) -> dict[str, float]:
    """The rejected design: one date job per reminder in a SQLAlchemy job store."""
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"drop table if exists {APSCHEDULER_TABLE}")
    store = SQLAlchemyJobStore(engine=engine, tablename=APSCHEDULER_TABLE)
    scheduler = BackgroundScheduler(
        jobstores={"default": store},
        executors={"default": ThreadPoolExecutor(10)},
        job_defaults={"misfire_grace_time": None, "coalesce": True},
        timezone=UTC,
    )
    ran = threading.Semaphore(0)
    scheduler.add_listener(lambda event: ran.release(), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.start(paused=True)
    due = min(due, jobs)
    try:
        now = datetime.now(UTC)
        rss = rss_bytes()
        started = time.perf_counter()
        for number in range(jobs):
            # Due now, or at some send time in the coming year; the job body does nothing.
            at = now - timedelta(minutes=1) if number < due else now + timedelta(hours=1 + number)
            scheduler.add_job(
                "builtins:abs", "date", run_date=at, args=[number], id=f"reminder-{number}"
            )
        add_seconds = time.perf_counter() - started
        add_rss = rss_bytes() - rss
        with engine.connect() as connection:
            table_bytes = connection.exec_driver_sql(
                f"select pg_total_relation_size('{APSCHEDULER_TABLE}')"
            ).scalar_one()
        rss = rss_bytes()
        started = time.perf_counter()
        found = store.get_due_jobs(datetime.now(UTC))
        store.get_next_run_time()
        lookup_seconds = time.perf_counter() - started
        lookup_rss = rss_bytes() - rss
        assert len(found) == due, (len(found), due)
        del found
        started = time.perf_counter()
        scheduler.resume()
        deadline = time.monotonic() + APSCHEDULER_RUN_TIMEOUT
        done = 0
        while done < due and ran.acquire(timeout=max(0.0, deadline - time.monotonic())):
            done += 1
        run_seconds = time.perf_counter() - started
    finally:
        scheduler.shutdown(wait=True)
        with engine.begin() as connection:
            connection.exec_driver_sql(f"drop table if exists {APSCHEDULER_TABLE}")
        engine.dispose()
    return {
        "jobs": jobs,
        "due": due,
        "add_seconds": add_seconds,
        "add_rss": add_rss,
        "table_bytes": table_bytes,
        "lookup_seconds": lookup_seconds,
        "lookup_rss": lookup_rss,
        "ran": done,
        "run_seconds": run_seconds,
    }
