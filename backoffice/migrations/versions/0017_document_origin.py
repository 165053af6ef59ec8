"""document.origin: the archive (or forwarded message) a document came out of, "" for a file attached to the
email itself, so the page can say "Скан заяви.pdf, from docs.zip".

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("document", sa.Column("origin", sa.String(length=255), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_column("origin")
