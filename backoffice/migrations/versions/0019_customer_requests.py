"""customer_request: the customer's appeals, complaints and requests for information, their thread of
messages and the files attached to them

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

import backoffice.types

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("appeal", "complaint", "information", name="requestkind", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "received",
                "in_work",
                "waiting_for_customer",
                "answered",
                "closed",
                name="requeststate",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("created_at", backoffice.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", backoffice.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["customer_account.id"], name=op.f("fk_customer_request_account_id_customer_account")
        ),
        sa.ForeignKeyConstraint(
            ["center_id"], ["service_center.id"], name=op.f("fk_customer_request_center_id_service_center")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_request")),
        sa.UniqueConstraint("number", name=op.f("uq_customer_request_number")),
    )
    with op.batch_alter_table("customer_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_request_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_customer_request_center_id"), ["center_id"], unique=False)
        batch_op.create_index("ix_customer_request_state_created_at", ["state", "created_at"], unique=False)

    op.create_table(
        "customer_request_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.Enum("customer", "staff", name="author", native_enum=False, length=40), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", backoffice.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operator.id"], name=op.f("fk_customer_request_message_operator_id_operator")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["customer_request.id"],
            name=op.f("fk_customer_request_message_request_id_customer_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_request_message")),
    )
    with op.batch_alter_table("customer_request_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_request_message_request_id"), ["request_id"], unique=False)

    op.create_table(
        "customer_request_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_path", sa.String(length=500), nullable=False),
        sa.Column("created_at", backoffice.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["customer_request_message.id"],
            name=op.f("fk_customer_request_attachment_message_id_customer_request_message"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_request_attachment")),
    )
    with op.batch_alter_table("customer_request_attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_request_attachment_message_id"), ["message_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customer_request_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_request_attachment_message_id"))

    op.drop_table("customer_request_attachment")
    with op.batch_alter_table("customer_request_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_request_message_request_id"))

    op.drop_table("customer_request_message")
    with op.batch_alter_table("customer_request", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_request_state_created_at")
        batch_op.drop_index(batch_op.f("ix_customer_request_center_id"))
        batch_op.drop_index(batch_op.f("ix_customer_request_account_id"))

    op.drop_table("customer_request")
