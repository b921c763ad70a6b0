"""Safety recalls and service notices, and a priority for outbox rows.

notice (with notice_gtin), its immutable notice_version texts, the notice_unit rows a sent
notice affects, one notice_delivery per owner, and notice_message tying each outbox row to the
delivery and version it carries. reminder.priority puts notices ahead of maintenance reminders
when the dispatcher claims a batch; every existing row is a maintenance reminder, so the
server default 0 is the whole backfill. The column is added in place (no table rebuild), so the
reminder table keeps its AUTOINCREMENT on SQLite.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _fk(
    table: str, column: str, target: str, ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    """A foreign key named as the models' naming convention names it."""
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def _when(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def upgrade() -> None:
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("serials", sa.JSON(), nullable=False),
        sa.Column("sold_from", sa.Date(), nullable=True),
        sa.Column("sold_until", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        _when("sent_at"),
        _when("closed_at"),
        sa.Column("queued_after_unit_id", sa.Integer(), nullable=False),
        _when("queued_at"),
        _fk("notice", "organisation_id", "organisation"),
        _fk("notice", "created_by_id", "user_account", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_notice_organisation_id"), "notice", ["organisation_id"])

    op.create_table(
        "notice_gtin",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=False),
        _fk("notice_gtin", "notice_id", "notice", "CASCADE"),
        sa.PrimaryKeyConstraint("notice_id", "gtin", name=op.f("pk_notice_gtin")),
    )
    op.create_index(op.f("ix_notice_gtin_gtin"), "notice_gtin", ["gtin"])

    op.create_table(
        "notice_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("picture_url", sa.String(length=500), nullable=True),
        sa.Column("remedies", sa.JSON(), nullable=False),
        sa.Column("contact", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        _when("sent_at"),
        _fk("notice_version", "notice_id", "notice", "CASCADE"),
        _fk("notice_version", "created_by_id", "user_account", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_version")),
        sa.UniqueConstraint("notice_id", "number", name=op.f("uq_notice_version_notice_id_number")),
    )

    op.create_table(
        "notice_unit",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        _when("acted_at"),
        sa.Column("acted_how", sa.String(length=10), nullable=True),
        _fk("notice_unit", "notice_id", "notice", "CASCADE"),
        _fk("notice_unit", "unit_id", "unit"),
        sa.PrimaryKeyConstraint("notice_id", "unit_id", name=op.f("pk_notice_unit")),
    )
    op.create_index(op.f("ix_notice_unit_unit_id"), "notice_unit", ["unit_id"])

    op.create_table(
        "notice_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _when("sent_at"),
        _when("failed_at"),
        sa.Column("failure", sa.String(length=200), nullable=True),
        _when("opened_at"),
        _when("acted_at"),
        sa.Column("acted_how", sa.String(length=10), nullable=True),
        _when("stopped_at"),
        _fk("notice_delivery", "notice_id", "notice", "CASCADE"),
        _fk("notice_delivery", "owner_id", "owner", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_delivery")),
        sa.UniqueConstraint(
            "notice_id", "owner_id", name=op.f("uq_notice_delivery_notice_id_owner_id")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_notice_delivery_owner_id"), "notice_delivery", ["owner_id"])
    op.create_index("ix_notice_delivery_notice_sent", "notice_delivery", ["notice_id", "sent_at"])

    op.create_table(
        "notice_message",
        sa.Column("reminder_id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        _fk("notice_message", "reminder_id", "reminder", "CASCADE"),
        _fk("notice_message", "delivery_id", "notice_delivery", "CASCADE"),
        _fk("notice_message", "version_id", "notice_version", "CASCADE"),
        sa.PrimaryKeyConstraint("reminder_id", name=op.f("pk_notice_message")),
    )
    op.create_index(op.f("ix_notice_message_delivery_id"), "notice_message", ["delivery_id"])

    # In place, not batch: a rebuilt reminder table would lose AUTOINCREMENT on SQLite.
    op.add_column(
        "reminder", sa.Column("priority", sa.Integer(), nullable=False, server_default="0")
    )
    op.create_index(
        "ix_reminder_claim_priority", "reminder", ["status", "priority", "next_attempt_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_reminder_claim_priority", table_name="reminder")
    op.drop_column("reminder", "priority")  # SQLite 3.35+ drops a column in place
    op.drop_table("notice_message")
    op.drop_table("notice_delivery")
    op.drop_table("notice_unit")
    op.drop_table("notice_version")
    op.drop_table("notice_gtin")
    op.drop_table("notice")
