"""The inquiry inbox: inquiries of an OA's LINE chats, their transcripts, copies of the media users sent,
per-OA business hours with the automatic answer, and per-OA canned replies.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "inbox_inquiries",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("bot_id", sa.String(33), nullable=False),
        sa.Column("chat_id", sa.String(80), nullable=False),
        sa.Column("chat_type", sa.String(8), nullable=False),
        sa.Column("user_id", sa.String(80)),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("awaiting_reply", sa.Boolean(), nullable=False),
        sa.Column("tags_json", sa.Text(), nullable=False),
        sa.Column("opened_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("closed_at_ms", sa.BigInteger()),
        sa.Column("auto_answered_at_ms", sa.BigInteger()),
        sa.Column("ticket_id", sa.BigInteger()),
    )
    op.create_index("ix_inbox_inquiries_bot_status", "inbox_inquiries", ["bot_id", "status", "updated_at_ms"])
    op.create_index("ix_inbox_inquiries_chat", "inbox_inquiries", ["bot_id", "chat_id", "status"])
    op.create_table(
        "inbox_entries",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("inquiry_id", sa.BigInteger(), nullable=False),
        sa.Column("bot_id", sa.String(33), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("user_id", sa.String(80)),
        sa.Column("webhook_event_id", sa.String(64), unique=True),
        sa.Column("message_id", sa.String(64)),
        sa.Column("reply_token", sa.String(255)),
        sa.Column("reply_token_used", sa.Boolean(), nullable=False),
        sa.Column("sent_via", sa.String(8)),
        sa.Column("author_account_id", sa.BigInteger()),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_inbox_entries_inquiry_id", "inbox_entries", ["inquiry_id"])
    op.create_table(
        "inbox_media",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("inquiry_id", sa.BigInteger(), nullable=False),
        sa.Column("bot_id", sa.String(33), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("content_type", sa.String(127)),
        sa.Column("size_bytes", sa.Integer()),
        sa.Column("sha256", sa.String(64)),
        sa.Column("content", sa.LargeBinary()),
        sa.Column("detail", sa.String(255)),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_inbox_media_inquiry_id", "inbox_media", ["inquiry_id"])
    op.create_table(
        "inbox_settings",
        sa.Column("bot_id", sa.String(33), primary_key=True),
        sa.Column("hours_json", sa.Text(), nullable=False),
        sa.Column("japanese_holidays", sa.Boolean(), nullable=False),
        sa.Column("auto_answer", sa.Boolean(), nullable=False),
        sa.Column("auto_answer_text", sa.Text(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "inbox_canned",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("bot_id", sa.String(33), nullable=False),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_inbox_canned_bot_id", "inbox_canned", ["bot_id"])


def downgrade() -> None:
    for table in ("inbox_canned", "inbox_settings", "inbox_media", "inbox_entries", "inbox_inquiries"):
        op.drop_table(table)
