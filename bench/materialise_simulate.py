"""The materialise bench's history: six months of passes of this code, or the old code's state."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

from materialise_data import ACTIVE_SHARE, START, TASKS, at, make_app

_INTERVAL_SQL = (
    "CASE t.task_key "
    + " ".join(
        f"WHEN '{key}' THEN interval '{every[1:-1]} {dict(M='month', Y='year')[every[-1]]}'"
        for key, every, _ in TASKS
    )
    + " ELSE interval '1 year' END"
)


def simulate(url: str, days: int, step: int) -> date:
    """Run this code's passes over `days`; the active owners act, dispatch marks sent.

    Passes go every `step` days, the last one on the day before the day returned: the pass
    timed on that day is the first of a day, which does a whole day's work (next actions are
    dates, so a scheduler's first pass after midnight finds the day's reminders, follow-ups and
    roll-overs, and its passes every five minutes after that find nothing new).
    """
    from sqlalchemy import text

    from maintenance.extensions import db
    from maintenance.services.reminders.materialise import materialise_due

    app = make_app(url)
    day = START
    with app.app_context():
        last = START + timedelta(days=days - 1)
        while day <= last:
            started = time.perf_counter()
            result = materialise_due(at(day))
            passed = time.perf_counter() - started
            with db.engine.begin() as conn:
                conn.execute(
                    text(
                        "UPDATE reminder SET status = 'sent', sent_at = :now, attempts = 1 "
                        "WHERE status = 'pending'"
                    ),
                    {"now": at(day)},
                )
                _active_owners_act(conn, day)
            # New connections for the next day, as a scheduler restarted now and then has: a
            # connection keeps the foreign-key checks' plans it made while the outbox was
            # empty (a sequential scan of `reminder`), which at 100k reminders cost 3 ms a row.
            db.session.remove()
            db.engine.dispose()
            print(
                f"  {day}: {result.reminders:>7} reminders, {result.follow_ups:>6} follow-ups,"
                f" {result.missed:>7} missed  ({passed:.1f} s; with the owners' part"
                f" {time.perf_counter() - started:.1f} s)",
                flush=True,
            )
            day = min(day + timedelta(days=step), last) if day < last else last + timedelta(1)
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        db.engine.dispose()
    return day


def _active_owners_act(conn: Any, day: date) -> None:
    """The active owners do each task that is due, on the day of the pass."""
    from sqlalchemy import text

    conn.execute(
        text(
            f"""WITH done AS (
                   UPDATE task_schedule AS t SET next_due = CAST(:day AS date) + {_INTERVAL_SQL},
                       next_action_on = CAST(:day AS date) + {_INTERVAL_SQL},
                       last_done_on = :day, missed_in_row = 0, snoozed_until = NULL,
                       follow_up_sent_on = NULL
                   FROM ownership AS o
                   WHERE o.unit_id = t.unit_id AND o.owner_id % 10 < {ACTIVE_SHARE}
                       AND t.next_due <= :day
                   RETURNING t.unit_id, t.task_key, t.version_id, o.owner_id)
               INSERT INTO maintenance_log (unit_id, task_key, version_id, action, done_on,
                   logged_at, owner_id, source)
               SELECT unit_id, task_key, version_id, 'done', :day, :now, owner_id, 'page'
               FROM done"""
        ),
        {"day": day, "now": at(day)},
    )


def old_state(url: str, day: date) -> None:
    """The scenario as the old materialiser leaves it on `day`, its last pass the day before.

    An ignored task keeps its first due date, with its reminder and (a week later) its one
    follow-up sent; an active owner's task is due next on its first occurrence from the last
    pass on. Each reminder is its own row, as the old code's per-task reminders were.
    """
    from sqlalchemy import create_engine, text

    last = day - timedelta(days=1)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                f"""UPDATE task_schedule AS t
                    SET next_due = t.next_due + {_INTERVAL_SQL} * CEIL(
                        (CAST(:last AS date) - t.next_due + 1)
                        / CAST(EXTRACT(EPOCH FROM {_INTERVAL_SQL}) / 86400 AS numeric)),
                        next_action_on = NULL
                    FROM ownership AS o
                    WHERE o.unit_id = t.unit_id AND o.owner_id % 10 < {ACTIVE_SHARE}
                        AND t.next_due <= :last"""
            ),
            {"last": last},
        )
        for kind, shift in (("due", 0), ("follow-up", 7)):
            conn.execute(
                text(
                    """WITH made AS (
                           INSERT INTO reminder (dedupe_key, owner_id, channel, kind, send_on,
                               status, attempts, next_attempt_at, created_at, sent_at)
                           SELECT 'old:' || :kind || ':' || t.id, o.owner_id, 'email', :kind,
                               t.next_due + :shift, 'sent', 1, :now, :now, :now
                           FROM task_schedule t JOIN ownership o ON o.unit_id = t.unit_id
                           WHERE o.owner_id % 10 >= :active
                               AND t.next_due + :shift <= :last
                           RETURNING id, dedupe_key, send_on)
                       INSERT INTO reminder_item (reminder_id, schedule_id, due_on)
                       SELECT id, CAST(split_part(dedupe_key, ':', 3) AS integer),
                           send_on - :shift
                       FROM made"""
                ),
                {
                    "kind": kind,
                    "shift": shift,
                    "last": last,
                    "now": at(last),
                    "active": ACTIVE_SHARE,
                },
            )
        conn.execute(
            text(
                """UPDATE task_schedule AS t SET follow_up_sent_on = t.next_due + 7
                   FROM ownership AS o
                   WHERE o.unit_id = t.unit_id AND o.owner_id % 10 >= :active
                       AND t.next_due + 7 <= :last"""
            ),
            {"last": last, "active": ACTIVE_SHARE},
        )
        conn.execute(text("ANALYZE"))
    engine.dispose()
