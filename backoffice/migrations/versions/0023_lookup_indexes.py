"""Indexes for lookups that read every row: by address, by Message-ID, by stored file, and lists by age

Each of these was answered by reading the whole table, a cost that grows with the history (on a million
applications, 7.8 s for one emailed application from a new sender):

* routing an emailed application by its sender: the newest earlier application from that address
  (``lower(email)``, newest first) and a contract whose contact has it (``lower(contact_email)``);
* matching a reply to the customer's earlier message by its Message-ID (a hash index on PostgreSQL, where a
  Message-ID of up to 998 characters may not fit a B-tree entry);
* "is this login taken?", which also asks whether it is an account's email;
* retention's "does another application keep this stored file?", once per document removed;
* the message page's other messages with the same Message-ID (a foreign key without an index);
* the default pages of lists that grow with the history: the outbox by status, newest first; the customers'
  requests and the self-registrations by creation; the dashboard's completions and alerts by action and time.

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_application_email_lower_id", "application", [sa.text("lower(email)"), "id"])
    op.create_index("ix_contract_contact_email_lower_id", "contract", [sa.text("lower(contact_email)"), "id"])
    op.create_index("ix_incoming_message_message_id", "incoming_message", ["message_id"], postgresql_using="hash")
    op.create_index("ix_customer_account_email_lower", "customer_account", [sa.text("lower(email)")])
    op.create_index("ix_document_storage_path", "document", ["storage_path"])
    op.create_index("ix_incoming_message_same_id_as_id", "incoming_message", ["same_id_as_id"])
    op.create_index("ix_outbox_message_status_id", "outbox_message", ["status", "id"])
    op.create_index("ix_customer_request_created_at_id", "customer_request", ["created_at", "id"])
    op.create_index("ix_self_registration_created_at_id", "self_registration", ["created_at", "id"])
    op.create_index("ix_audit_event_action_occurred_at", "audit_event", ["action", "occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_action_occurred_at", table_name="audit_event")
    op.drop_index("ix_self_registration_created_at_id", table_name="self_registration")
    op.drop_index("ix_customer_request_created_at_id", table_name="customer_request")
    op.drop_index("ix_outbox_message_status_id", table_name="outbox_message")
    op.drop_index("ix_incoming_message_same_id_as_id", table_name="incoming_message")
    op.drop_index("ix_document_storage_path", table_name="document")
    op.drop_index("ix_customer_account_email_lower", table_name="customer_account")
    op.drop_index("ix_incoming_message_message_id", table_name="incoming_message")
    op.drop_index("ix_contract_contact_email_lower_id", table_name="contract")
    op.drop_index("ix_application_email_lower_id", table_name="application")
