"""An index on which partner did a logged task, by visit date.

Revision ID: 0018
Revises: 0017

The partner figures count the tasks each partner logged done in a period. Without an index on
maintenance_log.partner_id that reads every log of the period, although partners did only a
few of them; the index also serves the foreign key's ON DELETE SET NULL.
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_maintenance_log_partner_done", "maintenance_log", ["partner_id", "done_on"])


def downgrade() -> None:
    op.drop_index("ix_maintenance_log_partner_done", table_name="maintenance_log")
