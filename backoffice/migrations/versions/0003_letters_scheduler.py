"""letters and scheduler: outbox claims and resends, retention marker

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa
import backoffice.types


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("resends", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("personal_data_removed_at", backoffice.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_column("personal_data_removed_at")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("resends")
        batch_op.drop_column("claimed_by")
