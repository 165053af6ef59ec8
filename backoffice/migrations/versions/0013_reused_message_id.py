"""incoming_message.same_id_as_id: a different message that reuses an earlier one's Message-ID is kept as its own

Revision ID: 0013
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incoming_message") as batch:
        batch.add_column(sa.Column("same_id_as_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_incoming_message_same_id_as_id_incoming_message", "incoming_message", ["same_id_as_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("incoming_message") as batch:
        batch.drop_constraint("fk_incoming_message_same_id_as_id_incoming_message", type_="foreignkey")
        batch.drop_column("same_id_as_id")
