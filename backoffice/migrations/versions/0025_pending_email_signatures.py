"""incoming_message: a partial index over the emails whose own S/MIME signature waits for the verifier

The verifier's next emails were found by reading every received message at each poll of the mailbox (a JSON
field has no index), a cost that grows with the history. The partial index holds only the waiting ones.

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

#: The waiting emails in each database's words, as ``intake.models.SIGNATURE_PENDING_SQL`` says them.
PENDING = {
    "postgresql": "(email_signature ->> 'state') = 'pending'",
    "sqlite": "json_extract(email_signature, '$.state') = 'pending'",
}


def upgrade() -> None:
    op.create_index(
        "ix_incoming_message_signature_pending",
        "incoming_message",
        ["id"],
        postgresql_where=sa.text(PENDING["postgresql"]),
        sqlite_where=sa.text(PENDING["sqlite"]),
    )


def downgrade() -> None:
    op.drop_index("ix_incoming_message_signature_pending", table_name="incoming_message")
