"""operator.totp_last_step: the time step of the last second-factor code accepted, so each code is used once

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
    # A plain add: SQLite adds a nullable column without rebuilding the table.
    op.add_column("operator", sa.Column("totp_last_step", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("operator") as batch:
        batch.drop_column("totp_last_step")
