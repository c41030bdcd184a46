"""An index on `tenants.updated_at_ms`, every tenant row's version: each process's tenant cache asks every
two seconds which versions changed lately, and without it each of those questions read the whole table
(10,000 rows at 10,000 OAs) to answer with none.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tenants_updated_at_ms", "tenants", ["updated_at_ms"])


def downgrade() -> None:
    op.drop_index("ix_tenants_updated_at_ms", table_name="tenants")
