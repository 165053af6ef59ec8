"""application: a partial index over the closed applications whose personal data is still kept, for retention

The retention job claims ``state IN ('rejected', 'withdrawn') AND personal_data_removed_at IS NULL`` in the order
of ``id`` (``batch.each``). Without this index PostgreSQL walks the primary key and filters, which reads every
application whose data was already removed: a tick that grows with the history. With it, it reads only the
closed applications still waiting for their removal, however long the history.

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

KEPT_CLOSED = "personal_data_removed_at IS NULL AND state IN ('rejected', 'withdrawn')"


def upgrade() -> None:
    op.create_index(
        "ix_application_retention_due",
        "application",
        ["id"],
        postgresql_where=sa.text(KEPT_CLOSED),
        sqlite_where=sa.text(KEPT_CLOSED),
    )


def downgrade() -> None:
    op.drop_index("ix_application_retention_due", table_name="application")
