"""The help desk: tickets, their messages and attachments, canned replies, the audit log, and how far the
IMAP poller has read each mailbox.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "support_tickets",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("bot_id", sa.String(33)),
        sa.Column("requester_account_id", sa.BigInteger()),
        sa.Column("requester_email", sa.String(254)),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority", sa.String(8), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("assignee_id", sa.BigInteger()),
        sa.Column("tags_json", sa.Text(), nullable=False),
        sa.Column("plan_code", sa.String(64)),
        sa.Column("context_json", sa.Text()),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("first_response_at_ms", sa.BigInteger()),
        sa.Column("awaiting_reply_since_ms", sa.BigInteger()),
        sa.Column("pending_since_ms", sa.BigInteger()),
        sa.Column("pending_business_ms", sa.BigInteger(), nullable=False),
        sa.Column("solved_at_ms", sa.BigInteger()),
        sa.Column("closed_at_ms", sa.BigInteger()),
        sa.Column("first_response_due_ms", sa.BigInteger()),
        sa.Column("next_response_due_ms", sa.BigInteger()),
        sa.Column("resolution_due_ms", sa.BigInteger()),
        sa.Column("sla_notified_json", sa.Text(), nullable=False),
        sa.Column("reminded_at_ms", sa.BigInteger()),
        sa.Column("csat_rating", sa.String(8)),
        sa.Column("csat_reason", sa.Text()),
        sa.Column("csat_at_ms", sa.BigInteger()),
        sa.Column("csat_token_hash", sa.String(64), unique=True),
    )
    op.create_index("ix_support_tickets_bot_id", "support_tickets", ["bot_id", "id"])
    op.create_index("ix_support_tickets_requester", "support_tickets", ["requester_account_id", "id"])
    op.create_index("ix_support_tickets_status", "support_tickets", ["status", "updated_at_ms"])
    op.create_table(
        "support_messages",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("author_kind", sa.String(16), nullable=False),
        sa.Column("author_account_id", sa.BigInteger()),
        sa.Column("author_email", sa.String(254)),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("mail_message_id", sa.String(255), unique=True),
        sa.Column("mail_state", sa.String(8)),
        sa.Column("mail_attempts", sa.Integer(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_support_messages_ticket_id", "support_messages", ["ticket_id"])
    op.create_index("ix_support_messages_mail_state", "support_messages", ["mail_state"])
    op.create_table(
        "support_attachments",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(127), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_support_attachments_message_id", "support_attachments", ["message_id"])
    op.create_index("ix_support_attachments_ticket_id", "support_attachments", ["ticket_id"])
    op.create_table(
        "support_canned_replies",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(255), nullable=False, unique=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by", sa.BigInteger()),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "support_audit",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor_account_id", sa.BigInteger()),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail_json", sa.Text(), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_support_audit_ticket_id", "support_audit", ["ticket_id"])
    op.create_table(
        "support_mailboxes",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("uid_validity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "support_mailboxes",
        "support_audit",
        "support_canned_replies",
        "support_attachments",
        "support_messages",
        "support_tickets",
    ):
        op.drop_table(table)
