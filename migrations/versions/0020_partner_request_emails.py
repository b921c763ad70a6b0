"""A partner can stop the emails that announce new requests.

Revision ID: 0020
Revises: 0019

partner_profile.email_requests: true for every existing partner (they get the emails as before)
until the partner uses the stop link in one of them or the switch in its inbox.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "partner_profile",
        sa.Column("email_requests", sa.Boolean(), nullable=False, server_default=sa.true()),
    )


def downgrade() -> None:
    with op.batch_alter_table("partner_profile") as batch:
        batch.drop_column("email_requests")
