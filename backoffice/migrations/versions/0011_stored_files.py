"""stored_file, stored_chunk: documents kept in the database ([storage] backend = "database")

Revision ID: 0011
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

import backoffice.types

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stored_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("chunk_size", sa.Integer(), nullable=False),
        sa.Column("created_at", backoffice.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_file")),
        sa.UniqueConstraint("sha256", name=op.f("uq_stored_file_sha256")),
    )
    op.create_table(
        "stored_chunk",
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["file_id"], ["stored_file.id"], name=op.f("fk_stored_chunk_file_id_stored_file")),
        sa.PrimaryKeyConstraint("file_id", "seq", name=op.f("pk_stored_chunk")),
    )


def downgrade() -> None:
    op.drop_table("stored_chunk")
    op.drop_table("stored_file")
