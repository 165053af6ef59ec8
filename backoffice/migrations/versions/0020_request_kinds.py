"""customer_request: every kind of cabinet request in one queue: the kind's form fields (details), the member of
staff who took it (assignee), its deadline (due_at) and the last reminder of it (reminded_at)

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

import backoffice.types

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customer_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("details", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("due_at", backoffice.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reminded_at", backoffice.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_customer_request_assignee_id_operator"), "operator", ["assignee_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_customer_request_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index("ix_customer_request_state_due_at", ["state", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customer_request", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_request_state_due_at")
        batch_op.drop_index(batch_op.f("ix_customer_request_assignee_id"))
        batch_op.drop_constraint(batch_op.f("fk_customer_request_assignee_id_operator"), type_="foreignkey")
        batch_op.drop_column("reminded_at")
        batch_op.drop_column("due_at")
        batch_op.drop_column("assignee_id")
        batch_op.drop_column("details")
