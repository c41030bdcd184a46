"""Billing events for the module (`@app.on_billing("trial.ending")`), delivered through the durable queue.

An event is a job (`linemod.billing.event`) written in the same transaction as the change it reports: it
exists exactly when the change committed, and it is retried like any job when a handler fails. Its handlers
run in registration order inside the job's transaction, each getting `(jctx: JobContext, event:
BillingEvent)`. An event nobody listens for is not written at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from linemod.framework.context import JobContext

BillingEventType = Literal[
    "trial.started",
    "trial.ending",
    "trial.ended",
    "subscription.activated",
    "subscription.renewed",
    "subscription.plan_changed",
    "subscription.canceling",
    "subscription.cancellation_revoked",
    "subscription.paused",
    "subscription.resumed",
    "subscription.past_due",
    "subscription.restricted",
    "subscription.ended",
    "payment.failed",
    "payment.succeeded",
    "charge.created",
]
BILLING_EVENT_TYPES: tuple[str, ...] = get_args(BillingEventType)
EVENT_JOB = "linemod.billing.event"

BillingHandler = Callable[["JobContext", "BillingEvent"], Awaitable[None]]
"""A billing event handler: `async def handler(jctx: JobContext, event: BillingEvent) -> None`."""


@dataclass(frozen=True)
class BillingEvent:
    """Something that happened to an OA's subscription.

    event_id: unique; the same on every retry of the job (deduplicate side effects on it).
    type: what happened ("trial.ending", "subscription.activated", ...).
    bot_id: the OA. at_ms: when (the app's clock). status / previous_status: the subscription's status
    after and before (equal for events that change no status). plan_code: its plan then. reason: why
    ("attached", "trial_ended", "detached", "bot_deleted", "payment_failed", ...).
    data: details of the type, e.g. `days_left` and `trial_ends_at_ms` (trial.ending), `period_start` and
    `period_end` (ISO dates), `charge_key` and `subtotal_yen` (charge.created).
    """

    event_id: str
    type: BillingEventType
    bot_id: str
    at_ms: int
    status: str | None
    previous_status: str | None = None
    plan_code: str | None = None
    reason: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def to_payload(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "type": self.type,
            "bot_id": self.bot_id,
            "at_ms": self.at_ms,
            "status": self.status,
            "previous_status": self.previous_status,
            "plan_code": self.plan_code,
            "reason": self.reason,
            "data": dict(self.data),
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> BillingEvent:
        kind = payload["type"]
        if kind not in BILLING_EVENT_TYPES:
            raise ValueError(f"unknown billing event type {kind!r}")
        return cls(
            event_id=str(payload["event_id"]),
            type=kind,
            bot_id=str(payload["bot_id"]),
            at_ms=int(payload["at_ms"]),
            status=payload.get("status"),
            previous_status=payload.get("previous_status"),
            plan_code=payload.get("plan_code"),
            reason=payload.get("reason"),
            data=dict(payload.get("data") or {}),
        )


def new_event_id() -> str:
    return uuid.uuid4().hex


def check_event_types(types: tuple[Any, ...]) -> tuple[str, ...]:
    """The types `on_billing` was given, refusing the bare decorator and unknown names loudly."""
    if not types or any(callable(t) for t in types):
        raise TypeError('on_billing needs the event type: @app.on_billing("trial.ending"), not @app.on_billing')
    for kind in types:
        if kind not in BILLING_EVENT_TYPES:
            raise ValueError(f"unknown billing event type {kind!r}; one of {BILLING_EVENT_TYPES}")
    return tuple(types)
