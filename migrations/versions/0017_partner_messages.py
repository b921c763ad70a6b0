"""An owner's remembered postcode, and a stop on the owner's messages about a service request.

Revision ID: 0017
Revises: 0016

owner.postcode is kept only when the owner ticks "Remember my postcode for next time" on the
find-a-partner page; service_request.owner_stopped_at is set by the stop link in the owner's
messages about that request. Both nullable and empty for existing rows: nothing to backfill.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("owner", sa.Column("postcode", sa.String(length=10), nullable=True))
    op.add_column(
        "service_request",
        sa.Column("owner_stopped_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    # SQLite 3.35+ drops a column in place, as 0015 does.
    op.drop_column("service_request", "owner_stopped_at")
    op.drop_column("owner", "postcode")
