"""contract.center_id: the service center that serves a contract (carried by the contract import), so an emailed
application is routed to a center from the moment it arrives; application.email_from_envelope: the application's
email was taken from the sender's address, not from the form, and the page says so.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.add_column(sa.Column("center_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_contract_center_id_service_center", "service_center", ["center_id"], ["id"])
        batch_op.create_index("ix_contract_center_id", ["center_id"], unique=False)
    # A plain add: on SQLite a batch would rebuild the table and lose its search triggers.
    op.add_column(
        "application",
        sa.Column("email_from_envelope", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("application", "email_from_envelope")
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_index("ix_contract_center_id")
        batch_op.drop_constraint("fk_contract_center_id_service_center", type_="foreignkey")
        batch_op.drop_column("center_id")
