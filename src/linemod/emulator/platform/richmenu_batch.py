"""Rich menu batch control (`/v2/bot/richmenu/batch`): link, unlink and unlinkAll over every user of the
caller's menus, run in the background on the emulator's next tick, with its progress (choice 47)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from linemod.emulator.errors import Detail, LineApiError, invalid_property, not_found, validation_error

if TYPE_CHECKING:
    from linemod.emulator.platform.world import Caller, Platform

MAX_OPERATIONS = 1000
RESUME_KEY_RE = re.compile(r"\A[a-zA-Z0-9_-]{1,100}\Z")


@dataclass
class Batch:
    request_id: str
    channel_id: str
    bot_id: str
    operations: list[dict[str, Any]]
    accepted_ms: int
    resume_key: str | None = None
    phase: str = "ongoing"
    completed_ms: int | None = None
    done: list[int] = field(default_factory=list)  # indexes of operations already applied


class RichMenuBatches:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.batches: dict[str, Batch] = {}

    def validate(self, caller: Caller, body: Any) -> tuple[list[dict[str, Any]], str | None]:
        """The synchronous checks of both `validate/batch` and `batch`: shapes and the caller's own menus."""
        account = self.platform.require_usable(caller)
        if not isinstance(body, dict):
            raise invalid_property("operations")
        operations = body.get("operations")
        if not isinstance(operations, list):
            raise validation_error([Detail("must be specified", "operations")])
        if not 1 <= len(operations) <= MAX_OPERATIONS:
            raise validation_error([Detail(f"size must be between 1 and {MAX_OPERATIONS}", "operations")])
        owner = (caller.channel.channel_id, account.bot_id)
        for index, operation in enumerate(operations):
            kind = operation.get("type") if isinstance(operation, dict) else None
            needed = {"link": ("from", "to"), "unlink": ("from",), "unlinkAll": ()}.get(str(kind))
            if needed is None:
                raise invalid_property(f"operations[{index}].type")
            for name in needed:
                menu = self.platform.richmenus.menus.get(operation.get(name)) if isinstance(
                    operation.get(name), str) else None
                if menu is None or menu.owner != owner:
                    raise LineApiError(400, "Rich menu not found", [Detail("not found", f"operations[{index}].{name}")])
                if name == "to" and menu.image is None:  # as linking one menu to one user
                    raise LineApiError(400, "must upload richmenu image before applying it to user",
                                       [Detail("no image", f"operations[{index}].to")])
        key = body.get("resumeRequestKey")
        if key is not None and (not isinstance(key, str) or not RESUME_KEY_RE.match(key)):
            raise invalid_property("resumeRequestKey")
        return operations, key

    def accept(self, caller: Caller, body: Any, request_id: str) -> None:
        operations, key = self.validate(caller, body)
        account = caller.require_account()
        if key is not None:
            # The same key again resumes a batch that did not finish; one that finished is not run twice.
            earlier = next((b for b in self.batches.values() if b.resume_key == key
                            and b.channel_id == caller.channel.channel_id), None)
            if earlier is not None and earlier.phase == "succeeded":
                raise LineApiError(409, "The request with this resumeRequestKey has already succeeded")
            if earlier is not None:
                earlier.phase = "ongoing"
                self.batches[request_id] = earlier
                return
        self.batches[request_id] = Batch(request_id, caller.channel.channel_id, account.bot_id, operations,
                                         self.platform.clock.now_ms(), key)

    def run_due(self) -> None:
        """Applies every ongoing batch (called on the platform's tick)."""
        for batch in {id(b): b for b in self.batches.values()}.values():
            if batch.phase != "ongoing":
                continue
            account = self.platform.accounts.get(batch.bot_id)
            if account is None:
                batch.phase, batch.completed_ms = "failed", self.platform.clock.now_ms()
                continue
            mine = {m for m, menu in self.platform.richmenus.menus.items()
                    if menu.owner == (batch.channel_id, batch.bot_id)}
            for index, operation in enumerate(batch.operations):
                if index in batch.done:
                    continue
                links = account.user_richmenus
                if operation["type"] == "link":
                    for person in [p for p, m in links.items() if m == operation["from"]]:
                        links[person] = operation["to"]
                elif operation["type"] == "unlink":
                    for person in [p for p, m in links.items() if m == operation["from"]]:
                        del links[person]
                else:
                    for person in [p for p, m in links.items() if m in mine]:
                        del links[person]
                batch.done.append(index)
            batch.phase, batch.completed_ms = "succeeded", self.platform.clock.now_ms()

    def progress(self, caller: Caller, request_id: str | None) -> dict[str, Any]:
        if not request_id:
            raise validation_error([Detail("must not be empty", "requestId")])
        batch = self.batches.get(request_id)
        if batch is None or batch.channel_id != caller.channel.channel_id:
            raise not_found("Not found")
        out = {"phase": batch.phase, "acceptedTime": _iso(batch.accepted_ms)}
        if batch.completed_ms is not None and batch.phase != "ongoing":
            out["completedTime"] = _iso(batch.completed_ms)
        return out

    def export(self) -> dict[str, Any]:
        return {"batches": {rid: asdict(b) for rid, b in self.batches.items()}}

    def load(self, data: dict[str, Any]) -> None:
        self.batches = {rid: Batch(**raw) for rid, raw in data.get("batches", {}).items()}


def _iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
