"""Service partners: a profile per partner organisation, its postcode areas, service requests,
which partner did a logged task, and owners' anonymous repair outcomes.

New tables and one nullable column: nothing to backfill. Existing logs were done by owners.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partner_profile",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("task_ids", sa.JSON(), nullable=False),
        sa.Column("brands", sa.JSON(), nullable=False),
        sa.Column("booking_mode", sa.String(length=10), nullable=False),
        sa.Column("booking_url", sa.String(length=500), nullable=True),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("repair_cafe", sa.Boolean(), nullable=False),
        sa.Column("opening_days", sa.String(length=200), nullable=True),
        sa.Column("free", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_partner_profile_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_partner_profile")),
    )
    op.create_table(
        "partner_area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("first", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner_profile.organisation_id"],
            name=op.f("fk_partner_area_partner_id_partner_profile"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_area")),
    )
    op.create_index(op.f("ix_partner_area_partner_id"), "partner_area", ["partner_id"])
    op.create_table(
        "service_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("task_key", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("contact_phone", sa.String(length=20), nullable=True),
        sa.Column("postcode", sa.String(length=10), nullable=True),
        sa.Column("preferred_days", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("consent_text", sa.String(length=40), nullable=False),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("proposed_time", sa.String(length=200), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decline_reason", sa.String(length=500), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("done_note", sa.Text(), nullable=True),
        sa.Column("log_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["organisation.id"],
            name=op.f("fk_service_request_partner_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_service_request_unit_id_unit")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["owner.id"],
            name=op.f("fk_service_request_owner_id_owner"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["log_id"],
            ["maintenance_log.id"],
            name=op.f("fk_service_request_log_id_maintenance_log"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_request")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_service_request_partner_id"), "service_request", ["partner_id"])
    op.create_index(op.f("ix_service_request_unit_id"), "service_request", ["unit_id"])
    op.create_index(op.f("ix_service_request_owner_id"), "service_request", ["owner_id"])
    op.create_table(
        "repair_outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_model_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("barrier", sa.String(length=40), nullable=True),
        sa.Column("symptom_id", sa.String(length=64), nullable=True),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_model_id"],
            ["product_model.id"],
            name=op.f("fk_repair_outcome_product_model_id_product_model"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_repair_outcome_unit_id_unit"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_outcome")),
    )
    op.create_index(
        op.f("ix_repair_outcome_product_model_id"), "repair_outcome", ["product_model_id"]
    )
    with op.batch_alter_table("maintenance_log") as batch:
        batch.add_column(sa.Column("partner_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_maintenance_log_partner_id_organisation"),
            "organisation",
            ["partner_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("maintenance_log") as batch:
        batch.drop_constraint(
            batch.f("fk_maintenance_log_partner_id_organisation"), type_="foreignkey"
        )
        batch.drop_column("partner_id")
    op.drop_table("repair_outcome")
    op.drop_table("service_request")
    op.drop_table("partner_area")
    op.drop_table("partner_profile")
