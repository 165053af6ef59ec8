"""heartbeat: the last sign of life of the scheduler, its jobs and the intake watcher; audit_event.request_id

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

import backoffice.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "heartbeat",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("beat_at", backoffice.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("succeeded_at", backoffice.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("process", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_heartbeat")),
    )
    # A plain add: SQLite adds a nullable column without rebuilding the (large) audit table.
    op.add_column("audit_event", sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_column("request_id")
    op.drop_table("heartbeat")
