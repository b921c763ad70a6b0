"""Each schedule knows its next action: missed occurrences roll on, passes read only what is due.

Revision ID: 0010
Revises: 0009

Adds task_schedule.next_action_on (with a partial index), missed_in_row and pace, and indexes
reminder items by schedule and reminder date (replacing the index by schedule alone). The backfill
sets next_action_on to each schedule's reminder date (the end of a snooze when later than the due
date): that is never later than its real next action, and the first pass works out the exact one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("task_schedule") as batch:
        batch.add_column(sa.Column("next_action_on", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("missed_in_row", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("pace", sa.String(length=10), nullable=False, server_default="normal")
        )
    op.execute(
        "UPDATE task_schedule SET next_action_on = CASE"
        " WHEN snoozed_until IS NOT NULL AND snoozed_until > next_due THEN snoozed_until"
        " ELSE next_due END"
    )
    op.create_index(
        "ix_task_schedule_next_action_on",
        "task_schedule",
        ["next_action_on"],
        postgresql_where=sa.text("next_action_on IS NOT NULL"),
        sqlite_where=sa.text("next_action_on IS NOT NULL"),
    )
    op.create_index(
        "ix_reminder_item_schedule_due", "reminder_item", ["schedule_id", "due_on"]
    )
    op.drop_index("ix_reminder_item_schedule_id", table_name="reminder_item")


def downgrade() -> None:
    op.create_index("ix_reminder_item_schedule_id", "reminder_item", ["schedule_id"])
    op.drop_index("ix_reminder_item_schedule_due", table_name="reminder_item")
    op.drop_index("ix_task_schedule_next_action_on", table_name="task_schedule")
    with op.batch_alter_table("task_schedule") as batch:
        batch.drop_column("pace")
        batch.drop_column("missed_in_row")
        batch.drop_column("next_action_on")
