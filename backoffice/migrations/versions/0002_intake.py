"""intake: received messages and signature checks

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa
import backoffice.types


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incoming_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_key", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=True),
        sa.Column("raw_path", sa.String(length=500), nullable=False),
        sa.Column("raw_sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_ref", sa.String(length=300), nullable=False),
        sa.Column("sender", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("received_at", backoffice.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "processed",
                "quarantined",
                "ignored",
                "converted",
                "dismissed",
                name="messagestatus",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("processed_at", backoffice.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"], ["application.id"], name=op.f("fk_incoming_message_application_id_application")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incoming_message")),
        sa.UniqueConstraint("message_key", name=op.f("uq_incoming_message_message_key")),
    )
    with op.batch_alter_table("incoming_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incoming_message_application_id"), ["application_id"], unique=False)
        batch_op.create_index("ix_incoming_message_status_received_at", ["status", "received_at"], unique=False)

    op.create_table(
        "signature_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", backoffice.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("indication", sa.String(length=40), nullable=False),
        sa.Column("sub_indication", sa.String(length=80), nullable=True),
        sa.Column("integrity", sa.String(length=20), nullable=True),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"], name=op.f("fk_signature_check_document_id_document")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signature_check")),
    )
    with op.batch_alter_table("signature_check", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signature_check_document_id"), ["document_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("signature_check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signature_check_document_id"))
    op.drop_table("signature_check")
    with op.batch_alter_table("incoming_message", schema=None) as batch_op:
        batch_op.drop_index("ix_incoming_message_status_received_at")
        batch_op.drop_index(batch_op.f("ix_incoming_message_application_id"))
    op.drop_table("incoming_message")
