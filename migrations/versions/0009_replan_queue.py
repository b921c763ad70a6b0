"""Protocols whose units are being re-planned after a new version, worked off by the scheduler.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "replan_queue",
        sa.Column("protocol_id", sa.Integer(), nullable=False),
        sa.Column("after_unit_id", sa.Integer(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["protocol_id"],
            ["protocol.id"],
            name=op.f("fk_replan_queue_protocol_id_protocol"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("protocol_id", name=op.f("pk_replan_queue")),
    )


def downgrade() -> None:
    op.drop_table("replan_queue")
