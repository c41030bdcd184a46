"""The state of an OA attached to a ticket at creation, so that staff see what the operator saw then: the
OA, its granted scopes, chat control, recent failed events and dead letters, LINE's recent error answers
(4xx and 429, as the SDK reported them in the failed events' errors) and the billing state, when billing has
a subscription for it. Read from the framework's own tables: nothing is asked of LINE."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.records import BillingSubscriptionRow
from linemod.framework.storage.models import ChatStateRow, EventRow, QueueStatus, Tenant

RECENT_MS = 7 * 24 * 3600 * 1000
RECENT_FAILURES = 10
# The SDK's ApiException prints "(429)\nReason: Too Many Requests\n...HTTP response body: {...}"; the worker
# keeps the whole traceback in `last_error`.
_LINE_ERROR = re.compile(r"ApiException: \((\d{3})\)\s*Reason: ([^\n]*)(?:.*?HTTP response body: ([^\n]*))?", re.S)


def line_errors_in(error_text: str | None) -> list[dict[str, Any]]:
    """LINE's 4xx answers (429 included) named in a failed event's error."""
    found = []
    for match in _LINE_ERROR.finditer(error_text or ""):
        status = int(match.group(1))
        if 400 <= status < 500:
            found.append({"status": status, "reason": match.group(2).strip(), "body": (match.group(3) or "")[:500]})
    return found


def _last_line(error_text: str | None) -> str | None:
    lines = [line for line in (error_text or "").strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else None


async def tenant_context(
    session: AsyncSession, bot_id: str, now_ms: int, requested_scopes: list[str] | None = None
) -> dict[str, Any] | None:
    """The snapshot of OA `bot_id` as a JSON-ready dict (None for an OA the framework does not know)."""
    tenant = await session.get(Tenant, bot_id)
    if tenant is None:
        return None
    scopes = sorted(json.loads(tenant.scopes_json)) if tenant.scopes_json is not None else None
    modes = {
        mode or "unknown": int(count)
        for mode, count in await session.execute(
            select(ChatStateRow.mode, func.count()).where(ChatStateRow.bot_id == bot_id).group_by(ChatStateRow.mode)
        )
    }
    since = now_ms - RECENT_MS
    failed = await session.scalars(
        select(EventRow)
        .where(EventRow.bot_id == bot_id, EventRow.last_error.is_not(None), EventRow.received_at_ms >= since)
        .order_by(EventRow.id.desc())
        .limit(RECENT_FAILURES)
    )
    failures, line_errors = [], []
    for event in failed:
        failures.append(
            {
                "id": event.id,
                "type": event.event_type,
                "status": event.status,
                "attempts": event.attempts,
                "error": _last_line(event.last_error),
                "received_at_ms": event.received_at_ms,
            }
        )
        line_errors += [{"event_id": event.id, **error} for error in line_errors_in(event.last_error)]
    dead = await session.scalar(
        select(func.count()).where(EventRow.bot_id == bot_id, EventRow.status == QueueStatus.DEAD)
    )
    context: dict[str, Any] = {
        "oa": {
            "bot_id": tenant.bot_id,
            "name": tenant.display_name,
            "basic_id": tenant.basic_id,
            "state": tenant.state,
            "attached_at_ms": tenant.attached_at_ms,
        },
        "scopes": scopes,
        "missing_scopes": sorted(set(requested_scopes or ()) - set(scopes)) if scopes is not None else None,
        "chat_control": modes,
        "failed_events": failures,
        "dead_letters": int(dead or 0),
        "line_errors": line_errors,
        "billing": None,
        "taken_at_ms": now_ms,
    }
    subscription = await session.get(BillingSubscriptionRow, bot_id)
    if subscription is not None:
        context["billing"] = {
            "plan": subscription.plan_code,
            "status": subscription.status,
            "interval": subscription.interval,
            "trial_ends_at_ms": subscription.trial_ends_at_ms,
            "period_end": subscription.period_end.isoformat() if subscription.period_end else None,
        }
    return context
