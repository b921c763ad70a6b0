"""Service requests keep the day they arrived in the service's time zone, for the figures.

Revision ID: 0019
Revises: 0018

The partner figures count requests by day and month. Counting by the UTC day put a request made
at 00:30 in Amsterdam on the 1st into the month before. Backfill: PostgreSQL converts each
stored moment to the service's zone (DEFAULT_TIME_ZONE); SQLite, which has no time zones, takes
the UTC day, which differs only for requests made between midnight and 01:00 or 02:00.
"""

import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("service_request", sa.Column("created_on", sa.Date(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            sa.text(
                "UPDATE service_request SET created_on = (created_at AT TIME ZONE :zone)::date"
            ).bindparams(zone=current_app.config["DEFAULT_TIME_ZONE"])
        )
    else:
        op.execute("UPDATE service_request SET created_on = date(created_at)")
    with op.batch_alter_table("service_request") as batch:
        batch.alter_column("created_on", existing_type=sa.Date(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("service_request") as batch:
        batch.drop_column("created_on")
