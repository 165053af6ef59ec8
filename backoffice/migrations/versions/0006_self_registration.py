"""self-registration (Flow B): the registration beside its customer account, and the consent records

Revision ID: 0006
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa
import backoffice.types


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "self_registration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "individual", "sole_proprietor", "legal_entity", name="personkind", native_enum=False, length=40
            ),
            nullable=False,
        ),
        sa.Column("identifier", sa.String(length=15), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("name_key", sa.String(length=300), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending_confirmation",
                "active",
                "blocked",
                "closed",
                "removed",
                name="selfregistrationstate",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("created_at", backoffice.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", backoffice.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", backoffice.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", backoffice.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("personal_data_removed_at", backoffice.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["customer_account.id"], name=op.f("fk_self_registration_account_id_customer_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_registration")),
    )
    with op.batch_alter_table("self_registration", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_self_registration_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_self_registration_identifier"), ["identifier"], unique=False)
        batch_op.create_index("ix_self_registration_state_created_at", ["state", "created_at"], unique=False)

    op.create_table(
        "consent_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("text_version", sa.Integer(), nullable=False),
        sa.Column("text_language", sa.String(length=2), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("accepted_at", backoffice.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accepted_from", sa.String(length=45), nullable=False),
        sa.Column("accepted_user_agent", sa.String(length=300), nullable=False),
        sa.Column("form", sa.String(length=40), nullable=False),
        sa.Column("withdrawn_at", backoffice.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_from", sa.String(length=45), nullable=False),
        sa.Column("withdrawn_form", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["self_registration.id"],
            name=op.f("fk_consent_record_registration_id_self_registration"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_record")),
    )
    with op.batch_alter_table("consent_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_record_registration_id"), ["registration_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("consent_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_record_registration_id"))
    op.drop_table("consent_record")
    with op.batch_alter_table("self_registration", schema=None) as batch_op:
        batch_op.drop_index("ix_self_registration_state_created_at")
        batch_op.drop_index(batch_op.f("ix_self_registration_identifier"))
        batch_op.drop_index(batch_op.f("ix_self_registration_account_id"))
    op.drop_table("self_registration")
