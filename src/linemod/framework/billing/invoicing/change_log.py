"""The history of every document: each creation, draft edit and status change, with who, when, and the
fields before and after (電子帳簿保存法's "no silent edits"). Rows are only ever appended; the migration's
triggers refuse updates and deletes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.invoicing.records import InvoiceChangeRow
from linemod.framework.billing.invoicing.snapshots import dumps


class ChangeAction(StrEnum):
    CREATED = "created"  # a draft, or a receipt / return invoice made by the engine
    UPDATED = "updated"  # a draft edit: before/after hold the changed fields only
    FINALIZED = "finalized"  # numbered and issued
    VOIDED = "voided"
    PAID = "paid"
    RETURNED = "returned"  # on the original: a return invoice was issued against it


@dataclass(frozen=True)
class InvoiceChange:
    id: int
    invoice_id: int
    at_ms: int
    actor: str
    action: ChangeAction
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None


def change_values(
    invoice_id: int,
    at_ms: int,
    actor: str,
    action: ChangeAction,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """One change as the values of an INSERT (what batches write many of in one statement)."""
    return {
        "invoice_id": invoice_id,
        "at_ms": at_ms,
        "actor": actor,
        "action": action.value,
        "before_json": None if before is None else dumps(before),
        "after_json": None if after is None else dumps(after),
        "reason": reason,
    }


async def changes_of(session: AsyncSession, invoice_id: int) -> list[InvoiceChange]:
    """A document's history, oldest first."""
    rows = await session.scalars(
        select(InvoiceChangeRow).where(InvoiceChangeRow.invoice_id == invoice_id).order_by(InvoiceChangeRow.id)
    )
    return [
        InvoiceChange(
            id=row.id,
            invoice_id=row.invoice_id,
            at_ms=row.at_ms,
            actor=row.actor,
            action=ChangeAction(row.action),
            before=None if row.before_json is None else json.loads(row.before_json),
            after=None if row.after_json is None else json.loads(row.after_json),
            reason=row.reason,
        )
        for row in rows
    ]


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields that differ, as (before, after) restricted to them."""
    keys = [key for key in after if before.get(key) != after[key]]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}
