"""Invoices: issued documents (invoices, receipts, return invoices), their gap-free number counters, and the
append-only history of every change; triggers refuse edits of issued documents and of the history.

Revision ID: 0004
Revises: 0003
Create Date: 2026-09-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# What an issued document may still change: its status (paid, void) with when and why, and its PDF once,
# when rendered after the numbering transaction. Everything else was fixed when it was issued.
CONTENT_COLUMNS = [
    *("provider", "bot_id", "kind", "series", "sequence", "number", "currency", "language", "html"),
    *("issue_date", "transaction_date", "period_start", "period_end", "due_date", "related_invoice_id"),
    *("total_net", "total_tax", "total_gross", "recipient_name", "payer_reference", "recipient_json"),
    *("issuer_json", "lines_json", "details_json", "created_at_ms", "finalized_at_ms"),
]
ALLOWED_MOVES = "('finalized', 'paid'), ('finalized', 'void')"


def upgrade() -> None:
    op.create_table(
        "invoices",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("bot_id", sa.String(33)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("series", sa.String(32)),
        sa.Column("sequence", sa.BigInteger()),
        sa.Column("number", sa.String(64)),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("issue_date", sa.Date()),
        sa.Column("transaction_date", sa.Date()),
        sa.Column("period_start", sa.Date()),
        sa.Column("period_end", sa.Date()),
        sa.Column("due_date", sa.Date()),
        sa.Column("total_net", sa.BigInteger(), nullable=False),
        sa.Column("total_tax", sa.BigInteger(), nullable=False),
        sa.Column("total_gross", sa.BigInteger(), nullable=False),
        sa.Column("recipient_name", sa.String(255), nullable=False),
        sa.Column("payer_reference", sa.String(64)),
        sa.Column("recipient_json", sa.Text(), nullable=False),
        sa.Column("issuer_json", sa.Text(), nullable=False),
        sa.Column("lines_json", sa.Text(), nullable=False),
        sa.Column("details_json", sa.Text(), nullable=False),
        sa.Column("related_invoice_id", sa.BigInteger()),
        sa.Column("void_reason", sa.Text()),
        sa.Column("html", sa.Text()),
        sa.Column("pdf", sa.LargeBinary()),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("finalized_at_ms", sa.BigInteger()),
        sa.Column("paid_at_ms", sa.BigInteger()),
        sa.Column("voided_at_ms", sa.BigInteger()),
        sa.UniqueConstraint("provider", "series", "sequence", name="uq_invoices_series_sequence"),
        sa.UniqueConstraint("provider", "number", name="uq_invoices_number"),
    )
    op.create_index("ix_invoices_provider_issue_date", "invoices", ["provider", "issue_date"])
    op.create_index("ix_invoices_provider_total_gross", "invoices", ["provider", "total_gross"])
    op.create_index("ix_invoices_bot_id", "invoices", ["bot_id"])
    op.create_index("ix_invoices_related_invoice_id", "invoices", ["related_invoice_id"])
    op.create_index("ix_invoices_payer_reference", "invoices", ["payer_reference"])
    op.create_table(
        "invoice_counters",
        sa.Column("provider", sa.String(64), primary_key=True),
        sa.Column("series", sa.String(32), primary_key=True),
        sa.Column("next_value", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "invoice_changes",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("before_json", sa.Text()),
        sa.Column("after_json", sa.Text()),
        sa.Column("reason", sa.Text()),
    )
    op.create_index("ix_invoice_changes_invoice_id", "invoice_changes", ["invoice_id", "id"])
    if op.get_bind().dialect.name == "postgresql":
        _postgres_guards()
    else:
        _sqlite_guards()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS invoices_issued_are_immutable ON invoices")
        op.execute("DROP TRIGGER IF EXISTS invoice_changes_append_only ON invoice_changes")
        op.execute("DROP FUNCTION IF EXISTS invoices_refuse_issued_edit()")
        op.execute("DROP FUNCTION IF EXISTS invoice_changes_refuse_edit()")
    for table in ("invoice_changes", "invoice_counters", "invoices"):
        op.drop_table(table)


def _postgres_guards() -> None:
    changed = " OR ".join(f"NEW.{column} IS DISTINCT FROM OLD.{column}" for column in CONTENT_COLUMNS)
    op.execute(f"""
        CREATE FUNCTION invoices_refuse_issued_edit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                IF OLD.status <> 'draft' THEN
                    RAISE EXCEPTION 'invoice % is issued: it cannot be deleted', OLD.id;
                END IF;
                RETURN OLD;
            END IF;
            IF OLD.status <> 'draft' THEN
                IF {changed} OR (OLD.pdf IS NOT NULL AND NEW.pdf IS DISTINCT FROM OLD.pdf) THEN
                    RAISE EXCEPTION 'invoice % is issued: its content cannot change', OLD.id;
                END IF;
                IF NEW.status <> OLD.status AND (OLD.status, NEW.status) NOT IN ({ALLOWED_MOVES}) THEN
                    RAISE EXCEPTION 'invoice % cannot go from % to %', OLD.id, OLD.status, NEW.status;
                END IF;
            END IF;
            RETURN NEW;
        END $$
    """)
    op.execute("""
        CREATE TRIGGER invoices_issued_are_immutable BEFORE UPDATE OR DELETE ON invoices
        FOR EACH ROW EXECUTE FUNCTION invoices_refuse_issued_edit()
    """)
    op.execute("""
        CREATE FUNCTION invoice_changes_refuse_edit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the invoice change log is append-only';
        END $$
    """)
    op.execute("""
        CREATE TRIGGER invoice_changes_append_only BEFORE UPDATE OR DELETE ON invoice_changes
        FOR EACH ROW EXECUTE FUNCTION invoice_changes_refuse_edit()
    """)


def _sqlite_guards() -> None:
    changed = " OR ".join(f"NEW.{column} IS NOT OLD.{column}" for column in CONTENT_COLUMNS)
    op.execute(f"""
        CREATE TRIGGER invoices_issued_content_is_immutable BEFORE UPDATE ON invoices
        WHEN OLD.status <> 'draft' AND ({changed} OR (OLD.pdf IS NOT NULL AND NEW.pdf IS NOT OLD.pdf))
        BEGIN SELECT RAISE(ABORT, 'this invoice is issued: its content cannot change'); END
    """)
    op.execute(f"""
        CREATE TRIGGER invoices_issued_status_moves BEFORE UPDATE OF status ON invoices
        WHEN OLD.status <> 'draft' AND NEW.status <> OLD.status AND (OLD.status, NEW.status) NOT IN
            (VALUES {ALLOWED_MOVES})
        BEGIN SELECT RAISE(ABORT, 'this invoice cannot go back to an earlier status'); END
    """)
    op.execute("""
        CREATE TRIGGER invoices_issued_are_kept BEFORE DELETE ON invoices WHEN OLD.status <> 'draft'
        BEGIN SELECT RAISE(ABORT, 'this invoice is issued: it cannot be deleted'); END
    """)
    for operation in ("UPDATE", "DELETE"):
        op.execute(f"""
            CREATE TRIGGER invoice_changes_append_only_{operation.lower()} BEFORE {operation} ON invoice_changes
            BEGIN SELECT RAISE(ABORT, 'the invoice change log is append-only'); END
        """)
