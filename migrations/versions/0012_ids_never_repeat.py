"""Ids that never repeat on SQLite, a per-owner session secret, and a confirmation handle.

SQLite hands out the id of a deleted row again unless the table is AUTOINCREMENT, and a cookie
or link holding an old id would then open the next person. Only a rebuilt table can become
AUTOINCREMENT on SQLite; migrations/env.py turns foreign keys off while migrating SQLite, so
dropping the old table does not cascade to the rows that point at it. PostgreSQL sequences
never repeat, so there only the columns are added.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# The tables whose ids reach a cookie (owner, user_account), a link or token (owner,
# confirmation, reminder, task_schedule).
TABLES = ("owner", "confirmation", "reminder", "task_schedule", "user_account")

# Random hex in SQL: SQLite's randomblob and PostgreSQL's gen_random_uuid are both drawn from
# the system's strong random source.
RANDOM_HEX = {
    "sqlite": {32: "lower(hex(randomblob(16)))", 64: "lower(hex(randomblob(32)))"},
    "postgresql": {
        32: "replace(gen_random_uuid()::text, '-', '')",
        64: "replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')",
    },
}


def _refuse_cascading_rebuild() -> None:
    """Rebuilding a table with foreign keys on would delete every row pointing at it."""
    enforced = op.get_bind().exec_driver_sql("PRAGMA foreign_keys").scalar()
    if enforced:
        raise RuntimeError("run this migration with PRAGMA foreign_keys=OFF (migrations/env.py)")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    random_hex = RANDOM_HEX.get(dialect, RANDOM_HEX["postgresql"])
    op.add_column("owner", sa.Column("session_secret", sa.String(length=64), nullable=True))
    op.add_column("confirmation", sa.Column("handle", sa.String(length=32), nullable=True))
    op.execute(f"UPDATE owner SET session_secret = {random_hex[64]}")
    op.execute(f"UPDATE confirmation SET handle = {random_hex[32]}")
    if dialect == "sqlite":
        _refuse_cascading_rebuild()
        for table in TABLES:
            with op.batch_alter_table(
                table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
            ) as batch_op:
                if table == "owner":
                    batch_op.alter_column("session_secret", nullable=False)
                if table == "confirmation":
                    batch_op.alter_column("handle", nullable=False)
                    batch_op.create_unique_constraint(
                        batch_op.f("uq_confirmation_handle"), ["handle"]
                    )
        problems = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"foreign keys broken by the rebuild: {problems[:5]}")
    else:
        op.alter_column("owner", "session_secret", nullable=False)
        op.alter_column("confirmation", "handle", nullable=False)
        op.create_unique_constraint(op.f("uq_confirmation_handle"), "confirmation", ["handle"])


def downgrade() -> None:
    # The tables stay AUTOINCREMENT: harmless, and rebuilding them again gains nothing.
    with op.batch_alter_table("confirmation") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_confirmation_handle"), type_="unique")
        batch_op.drop_column("handle")
    with op.batch_alter_table("owner") as batch_op:
        batch_op.drop_column("session_secret")
