"""The help desk's self-service side: knowledge-base articles and their search terms, announcements and
incident notices with their dismissals, mail subscribers and mails.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "support_articles",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("term_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.BigInteger()),
        sa.Column("updated_by", sa.BigInteger()),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("published_at_ms", sa.BigInteger()),
    )
    op.create_index("ix_support_articles_listing", "support_articles", ["status", "lang", "category"])
    op.create_table(
        "support_article_terms",
        sa.Column("article_id", sa.BigInteger(), nullable=False),
        sa.Column("term", sa.String(64), nullable=False),
        sa.Column("title_count", sa.Integer(), nullable=False),
        sa.Column("body_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", "term"),
    )
    op.create_index("ix_support_article_terms_term", "support_article_terms", ["term", "article_id"])
    op.create_table(
        "support_announcements",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("title_ja", sa.String(200), nullable=False),
        sa.Column("title_en", sa.String(200), nullable=False),
        sa.Column("body_ja", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("starts_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("ends_at_ms", sa.BigInteger()),
        sa.Column("mail", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.BigInteger()),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_support_announcements_window", "support_announcements", ["starts_at_ms", "ends_at_ms"])
    op.create_table(
        "support_announcement_dismissals",
        sa.Column("announcement_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("announcement_id", "account_id"),
    )
    op.create_table(
        "support_announcement_subscribers",
        sa.Column("account_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "support_announcement_mails",
        sa.Column("announcement_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at_ms", sa.BigInteger()),
        sa.Column("sent_at_ms", sa.BigInteger()),
        sa.PrimaryKeyConstraint("announcement_id", "account_id"),
    )


def downgrade() -> None:
    for table in (
        "support_announcement_mails",
        "support_announcement_subscribers",
        "support_announcement_dismissals",
        "support_announcements",
        "support_article_terms",
        "support_articles",
    ):
        op.drop_table(table)
