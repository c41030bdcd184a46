"""A tenant as the rest of the framework sees it: a read-only snapshot of its row."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from linemod.framework.storage.models import Tenant, TenantState


@dataclass(frozen=True)
class TenantInfo:
    """A read-only snapshot of a tenant. `scopes` is None when unknown (found only by reconciliation)."""

    bot_id: str
    state: str
    scopes: frozenset[str] | None = None
    basic_id: str | None = None
    premium_id: str | None = None
    display_name: str | None = None
    picture_url: str | None = None
    attached_at_ms: int | None = None
    detached_at_ms: int | None = None

    @property
    def label(self) -> str:
        """How a page names the OA: its display name, else its basic ID, else its bot ID."""
        return self.display_name or self.basic_id or self.bot_id

    @property
    def is_attached(self) -> bool:
        return self.state == TenantState.ATTACHED

    def has_scope(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes

    @classmethod
    def from_row(cls, row: Tenant) -> TenantInfo:
        return cls.from_columns({name: getattr(row, name) for name in (*INFO_COLUMNS, "scopes_json")})

    @classmethod
    def from_columns(cls, row: Mapping[str, Any]) -> TenantInfo:
        """From a row read on the driver, not through the ORM: the fields' columns and `scopes_json`."""
        scopes = frozenset(json.loads(row["scopes_json"])) if row["scopes_json"] is not None else None
        return cls(scopes=scopes, **{name: row[name] for name in INFO_COLUMNS})


INFO_COLUMNS = ("bot_id", "state", "basic_id", "premium_id", "display_name", "picture_url", "attached_at_ms",
                "detached_at_ms")
"""The columns of `tenants` a TenantInfo's fields come from (with `scopes_json`)."""
