"""What manufacturers upload: re-plan queue entries that failed are marked and skipped.

Revision ID: 0012
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Both empty for every existing entry: nothing queued has failed yet.
    with op.batch_alter_table("replan_queue") as batch:
        batch.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("failure", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("replan_queue") as batch:
        batch.drop_column("failure")
        batch.drop_column("failed_at")
