"""ownership_claim (Flow B): a newcomer refused because their identifier is registered asks who owns it; a
supervisor decides, and the winner's one-time invitation is kept as a hash

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

import backoffice.types

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ownership_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=15), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "individual", "sole_proprietor", "legal_entity", name="personkind", native_enum=False, length=40
            ),
            nullable=False,
        ),
        sa.Column("holder_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("contract_number", sa.String(length=64), nullable=False),
        sa.Column("account_number", sa.String(length=64), nullable=False),
        sa.Column("signed_request", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("filed_from", sa.String(length=45), nullable=False),
        sa.Column("filed_user_agent", sa.String(length=300), nullable=False),
        sa.Column(
            "state",
            sa.Enum("open", "granted", "rejected", name="claimstate", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("created_at", backoffice.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", backoffice.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("invitation_hash", sa.String(length=64), nullable=True),
        sa.Column("released_at", backoffice.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("registration_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["holder_id"], ["self_registration.id"], name=op.f("fk_ownership_claim_holder_id_self_registration")
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["self_registration.id"],
            name=op.f("fk_ownership_claim_registration_id_self_registration"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ownership_claim")),
        sa.UniqueConstraint("invitation_hash", name=op.f("uq_ownership_claim_invitation_hash")),
    )
    with op.batch_alter_table("ownership_claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ownership_claim_holder_id"), ["holder_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ownership_claim_identifier"), ["identifier"], unique=False)
        batch_op.create_index("ix_ownership_claim_state_created_at", ["state", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_table("ownership_claim")
