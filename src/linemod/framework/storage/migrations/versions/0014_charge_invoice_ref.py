"""An index on `billing_charges.invoice_ref`: the collection run finds an OA's claimed charges by it
(`claim:{run}`), and the month's batched collection finds every OA with charges not invoiced yet (`IS NULL`);
without it each of those read the whole table, which holds every charge ever written.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_billing_charges_invoice_ref", "billing_charges", ["invoice_ref", "bot_id"])
    if op.get_bind().dialect.name == "postgresql":
        # A PDF is compressed already: PostgreSQL's own compression of it (pglz, on every stored PDF) costs CPU
        # and saves nothing. Out of line, as it was, but stored as it is.
        op.execute("ALTER TABLE invoices ALTER COLUMN pdf SET STORAGE EXTERNAL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE invoices ALTER COLUMN pdf SET STORAGE EXTENDED")
    op.drop_index("ix_billing_charges_invoice_ref", table_name="billing_charges")
