"""The queue's rows as typed records: what a claim hands the worker, and what listings show."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from linemod.framework.storage.models import QueueStatus

R = TypeVar("R", bound="QueueRecord")


@dataclass(frozen=True, slots=True)
class QueueRecord:
    """What every queue row has: its place in the queue, its lease and its tries."""

    id: int
    status: QueueStatus
    attempts: int
    run_at_ms: int
    payload: str
    locked_by: str | None
    locked_until_ms: int | None
    last_error: str | None
    finished_at_ms: int | None

    @classmethod
    def of(cls: type[R], row: Mapping[str, Any]) -> R:
        """The record of a database row (columns it does not know are left out)."""
        values = {name: row[name] for name in _field_names(cls)}
        values["status"] = QueueStatus(values["status"])
        return cls(**values)


_FIELD_NAMES: dict[type[QueueRecord], tuple[str, ...]] = {}


def _field_names(record: type[QueueRecord]) -> tuple[str, ...]:
    # Read once per record type: `of()` runs for every claimed row, and `fields()` walks the class each time.
    names = _FIELD_NAMES.get(record)
    if names is None:
        names = _FIELD_NAMES[record] = tuple(f.name for f in fields(record))
    return names


@dataclass(frozen=True, slots=True)
class EventRecord(QueueRecord):
    """A stored webhook event (`events`)."""

    bot_id: str
    webhook_event_id: str
    chat_key: str
    event_type: str
    mode: str | None
    event_ts_ms: int
    is_redelivery: bool
    received_at_ms: int


@dataclass(frozen=True, slots=True)
class JobRecord(QueueRecord):
    """A scheduled job (`jobs`)."""

    bot_id: str | None
    name: str
    key: str | None
    created_at_ms: int
