"""routing_rule: a supervisor's rule that sends the applications emailed from an address or a whole domain to a
service center, for senders the contract registry does not know.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

import backoffice.types

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routing_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=254), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("created_at", backoffice.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["center_id"], ["service_center.id"], name="fk_routing_rule_center_id_service_center"),
        sa.PrimaryKeyConstraint("id", name="pk_routing_rule"),
        sa.UniqueConstraint("sender", name="uq_routing_rule_sender"),
    )


def downgrade() -> None:
    op.drop_table("routing_rule")
