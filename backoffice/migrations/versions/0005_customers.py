"""customers: phone and password-change stamp on the account, single-use email tokens

Revision ID: 0005
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa
import backoffice.types


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customer_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=32), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("password_changed_at", backoffice.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "customer_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("new_email", sa.String(length=254), nullable=False),
        sa.Column("created_at", backoffice.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", backoffice.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", backoffice.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["customer_account.id"], name=op.f("fk_customer_token_account_id_customer_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_customer_token_token_hash")),
    )
    with op.batch_alter_table("customer_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_token_account_id"), ["account_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customer_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_token_account_id"))
    op.drop_table("customer_token")
    with op.batch_alter_table("customer_account", schema=None) as batch_op:
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("phone")
