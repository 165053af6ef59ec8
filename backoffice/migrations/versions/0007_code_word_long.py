"""application.code_word_long: whether choosing a password must be checked against the code word

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("application") as batch:
        batch.add_column(sa.Column("code_word_long", sa.Boolean(), nullable=False, server_default=sa.true()))
    # Existing rows keep the safe answer (check against the code word); new rows say what is true.
    with op.batch_alter_table("application") as batch:
        batch.alter_column("code_word_long", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("application") as batch:
        batch.drop_column("code_word_long")
