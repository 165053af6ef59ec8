"""meter, meter_reading: the customer's meters and their readings, each reading that needs a check tied to its
READING_CHECK request

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

import backoffice.types

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "type",
            sa.Enum("single_phase", "three_phase", name="metertype", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("zones", sa.Integer(), nullable=False),
        sa.Column("digits", sa.Integer(), nullable=False),
        sa.Column("verified_on", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("replaced_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", backoffice.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["customer_account.id"], name=op.f("fk_meter_account_id_customer_account")),
        sa.ForeignKeyConstraint(["replaced_by_id"], ["meter.id"], name=op.f("fk_meter_replaced_by_id_meter")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter")),
    )
    with op.batch_alter_table("meter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meter_account_id"), ["account_id"], unique=False)
    op.create_table(
        "meter_reading",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("zone", sa.Integer(), nullable=False),
        sa.Column("value", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("submitted_at", backoffice.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum("counted", "awaiting_check", "refused", name="readingstatus", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column(
            "note",
            sa.Enum("rollover", "replacement", name="readingnote", native_enum=False, length=40),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(["meter_id"], ["meter.id"], name=op.f("fk_meter_reading_meter_id_meter")),
        sa.ForeignKeyConstraint(
            ["request_id"], ["customer_request.id"], name=op.f("fk_meter_reading_request_id_customer_request")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_reading")),
    )
    with op.batch_alter_table("meter_reading", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meter_reading_meter_id"), ["meter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meter_reading_request_id"), ["request_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("meter_reading", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meter_reading_request_id"))
        batch_op.drop_index(batch_op.f("ix_meter_reading_meter_id"))
    op.drop_table("meter_reading")
    with op.batch_alter_table("meter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meter_account_id"))
    op.drop_table("meter")
