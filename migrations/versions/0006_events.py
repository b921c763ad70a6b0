"""Anonymous events for the dashboards: sign-ups, reminders, tasks done, skipped, snoozed.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("product_model_id", sa.Integer(), nullable=True),
        sa.Column("manufacturer_id", sa.Integer(), nullable=True),
        sa.Column("retailer_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("task_key", sa.String(length=80), nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("days_late", sa.Integer(), nullable=True),
        sa.Column("from_reminder", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["manufacturer_id"],
            ["organisation.id"],
            name=op.f("fk_event_manufacturer_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["product_model_id"],
            ["product_model.id"],
            name=op.f("fk_event_product_model_id_product_model"),
        ),
        sa.ForeignKeyConstraint(
            ["retailer_id"], ["organisation.id"], name=op.f("fk_event_retailer_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_event_unit_id_unit"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["protocol_version.id"],
            name=op.f("fk_event_version_id_protocol_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
    )
    with op.batch_alter_table("event") as batch_op:
        batch_op.create_index("ix_event_kind_day", ["kind", "day"], unique=False)
        batch_op.create_index(
            "ix_event_manufacturer_kind_day", ["manufacturer_id", "kind", "day"], unique=False
        )
        batch_op.create_index(
            "ix_event_model_kind_day", ["product_model_id", "kind", "day"], unique=False
        )
        batch_op.create_index(
            "ix_event_retailer_kind_day", ["retailer_id", "kind", "day"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("event") as batch_op:
        batch_op.drop_index("ix_event_retailer_kind_day")
        batch_op.drop_index("ix_event_model_kind_day")
        batch_op.drop_index("ix_event_manufacturer_kind_day")
        batch_op.drop_index("ix_event_kind_day")
    op.drop_table("event")
