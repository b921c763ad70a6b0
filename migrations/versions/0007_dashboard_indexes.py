"""Covering indexes for the dashboards' grouped passes over events.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

MANUFACTURER_COLUMNS = [
    "manufacturer_id",
    "kind",
    "day",
    "product_model_id",
    "task_key",
    "version_id",
    "unit_id",
    "days_late",
    "from_reminder",
]


def upgrade() -> None:
    # The new indexes start with the old ones' columns, which they replace.
    op.create_index("ix_event_manufacturer_figures", "event", MANUFACTURER_COLUMNS)
    op.drop_index("ix_event_manufacturer_kind_day", table_name="event")
    op.create_index("ix_event_retailer_figures", "event", ["retailer_id", "kind", "day", "unit_id"])
    op.drop_index("ix_event_retailer_kind_day", table_name="event")


def downgrade() -> None:
    op.create_index("ix_event_retailer_kind_day", "event", ["retailer_id", "kind", "day"])
    op.drop_index("ix_event_retailer_figures", table_name="event")
    op.create_index("ix_event_manufacturer_kind_day", "event", ["manufacturer_id", "kind", "day"])
    op.drop_index("ix_event_manufacturer_figures", table_name="event")
