"""document.signature_checked_at, and a partial index over the signed documents the verifier has not checked

The verifier's next batch was "every signed document whose id is not among the checks", which reads every check
ever made (or every signed document) at each poll of the mailbox, a cost that grows with the history. The
document now says when it was first checked; the batch reads the small partial index of those not yet checked.
Documents checked before keep the time of their first check.

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

from backoffice.types import UTCDateTime

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

UNCHECKED = "signature_checked_at IS NULL AND kind IN ('container', 'detached_signature', 'signed_pdf')"


def upgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("signature_checked_at", UTCDateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE document SET signature_checked_at = "
        "(SELECT min(c.checked_at) FROM signature_check c WHERE c.document_id = document.id) "
        "WHERE id IN (SELECT document_id FROM signature_check)"
    )
    op.create_index(
        "ix_document_signature_unchecked",
        "document",
        ["id"],
        postgresql_where=sa.text(UNCHECKED),
        sqlite_where=sa.text(UNCHECKED),
    )


def downgrade() -> None:
    op.drop_index("ix_document_signature_unchecked", table_name="document")
    with op.batch_alter_table("document") as batch:
        batch.drop_column("signature_checked_at")
