"""work queue: partial indexes for "my work"

Revision ID: 0008
Revises: 0007

"My work" is what is assigned to me plus what nobody has taken at my center (anywhere, for a supervisor),
among the states that wait for staff. Those are a few percent of all applications; these indexes hold only
them, ordered by deadline, so the default page reads its rows instead of sorting a center's whole backlog.
The states are written out here as they were when the indexes were made; a test checks that they still match
``workflows.accession.WAITING_FOR_STAFF``.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

WAITING = (
    "state IN ('awaiting_confirmation_call', 'awaiting_signature_check', 'call_retry_scheduled', "
    "'code_expired', 'confirmed', 'received')"
)
UNASSIGNED = f"{WAITING} AND assignee_id IS NULL"

INDEXES = {
    "ix_application_waiting_assignee": (["assignee_id", "due_at", "id"], WAITING),
    "ix_application_waiting_unassigned_center": (["center_id", "due_at", "id"], UNASSIGNED),
    "ix_application_waiting_unassigned": (["due_at", "id"], UNASSIGNED),
}


def upgrade() -> None:
    for name, (columns, where) in INDEXES.items():
        op.create_index(
            name, "application", columns, postgresql_where=sa.text(where), sqlite_where=sa.text(where)
        )


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="application")
