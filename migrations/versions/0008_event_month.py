"""Events keep their month, and the sector's pass reads them from an index in month order.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SECTOR_COLUMNS = [
    "month",
    "category",
    "channel",
    "unit_id",
    "kind",
    "days_late",
    "from_reminder",
    "day",
]


def upgrade() -> None:
    op.add_column("event", sa.Column("month", sa.Date(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE event SET month = date_trunc('month', day)::date")
    else:
        op.execute("UPDATE event SET month = date(day, 'start of month')")
    op.create_index("ix_event_sector_figures", "event", SECTOR_COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_event_sector_figures", table_name="event")
    with op.batch_alter_table("event") as batch:
        batch.drop_column("month")
