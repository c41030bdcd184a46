"""What the module costs the OA on LINE's side: the messages its tenant-bound client sent (built-in meters,
by kind, valued in recipients) and, read periodically, the OA's monthly quota and consumption.

Messages are metered with the handler's (or job's) work, keyed by the send's retry key (a reply by its
token): a handler run again re-sends with the same keys, LINE answers 409 for what it already accepted, and
the usage record is written once. A send whose handler then failed is metered when the handler's re-run
sends it again (a reply's re-run falls back to a push, and is metered as one).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.catalog import Meter
from linemod.framework.billing.metering import UsageRecord
from linemod.framework.billing.periods import day_of
from linemod.framework.line.client import SentMessages

MESSAGE_KINDS = ("reply", "push", "multicast", "broadcast", "narrowcast")
_KIND_NAMES_JA = {
    "reply": "応答",
    "push": "プッシュ",
    "multicast": "マルチキャスト",
    "broadcast": "ブロードキャスト",
    "narrowcast": "ナローキャスト",
}
BUILTIN_METERS = tuple(
    Meter(f"line.messages.{kind}", "sum", f"LINEメッセージ（{_KIND_NAMES_JA[kind]}）", f"LINE messages ({kind})")
    for kind in MESSAGE_KINDS
)
"""One meter per kind; a record's value is its recipients (0 for broadcast and narrowcast, whose recipients
LINE picks): `sum` gives recipients, `count` the calls."""

UPSERT_QUOTA = (
    "INSERT INTO billing_line_quota (bot_id, month, quota_type, quota_value, total_usage, read_at_ms) "
    "VALUES (:bot_id, :month, :quota_type, :quota_value, :total_usage, :read_at_ms) "
    "ON CONFLICT (bot_id, month) DO UPDATE SET quota_type = excluded.quota_type, "
    "quota_value = excluded.quota_value, total_usage = excluded.total_usage, read_at_ms = excluded.read_at_ms"
)


def usage_of_sends(bot_id: str, sends: Sequence[SentMessages], now_ms: int) -> list[UsageRecord]:
    return [UsageRecord(bot_id, f"line.messages.{s.kind}", s.recipients, f"sent:{s.key}", now_ms) for s in sends]


async def store_quota(session: AsyncSession, bot_id: str, quota: tuple[str, int | None, int], now_ms: int) -> None:
    """Keep what LINE said for this OA and month (JST): the latest reading of the month wins."""
    kind, value, used = quota
    month = day_of(now_ms).strftime("%Y-%m")
    params = {
        "bot_id": bot_id,
        "month": month,
        "quota_type": kind,
        "quota_value": value,
        "total_usage": used,
        "read_at_ms": now_ms,
    }
    await session.execute(text(UPSERT_QUOTA), params)
