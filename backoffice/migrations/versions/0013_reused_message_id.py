"""incoming_message: a message reusing an earlier one's Message-ID is kept as its own (same_id_as_id); fragments of
a message sent in parts are held until all have come (partial_id, partial_number, partial_total); the email's own
S/MIME signature and its verdict (email_signature)

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incoming_message") as batch:
        batch.add_column(sa.Column("same_id_as_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_incoming_message_same_id_as_id_incoming_message", "incoming_message", ["same_id_as_id"], ["id"]
        )
        batch.add_column(sa.Column("partial_id", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("partial_number", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("partial_total", sa.Integer(), nullable=True))
        batch.create_index("ix_incoming_message_partial_id", ["partial_id"])
        batch.add_column(sa.Column("email_signature", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incoming_message") as batch:
        batch.drop_column("email_signature")
        batch.drop_index("ix_incoming_message_partial_id")
        batch.drop_column("partial_total")
        batch.drop_column("partial_number")
        batch.drop_column("partial_id")
        batch.drop_constraint("fk_incoming_message_same_id_as_id_incoming_message", type_="foreignkey")
        batch.drop_column("same_id_as_id")
