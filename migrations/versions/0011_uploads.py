"""What manufacturers upload: failed re-plan queue entries are marked and skipped; GS1 company
prefixes and GTIN assignments say which GTINs an organisation may publish for.

Existing data needs no backfill: a GTIN already on an organisation's model stays its own (see
maintenance/services/gs1_prefixes.py), so every existing model keeps working; prefixes start empty and are set
by an admin.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Both empty for every existing entry: nothing queued has failed yet.
    with op.batch_alter_table("replan_queue") as batch:
        batch.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("failure", sa.String(length=500), nullable=True))


    for table in ("company_prefix", "gtin_assignment"):
        key = "prefix" if table == "company_prefix" else "gtin"
        op.create_table(
            table,
            sa.Column(key, sa.String(length=12 if key == "prefix" else 14), nullable=False),
            sa.Column("organisation_id", sa.Integer(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(
                ["organisation_id"],
                ["organisation.id"],
                name=op.f(f"fk_{table}_organisation_id_organisation"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint(key, name=op.f(f"pk_{table}")),
        )
        op.create_index(
            op.f(f"ix_{table}_organisation_id"), table, ["organisation_id"], unique=False
        )


def downgrade() -> None:
    for table in ("gtin_assignment", "company_prefix"):
        op.drop_index(op.f(f"ix_{table}_organisation_id"), table_name=table)
        op.drop_table(table)
    with op.batch_alter_table("replan_queue") as batch:
        batch.drop_column("failure")
        batch.drop_column("failed_at")
