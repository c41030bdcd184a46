"""Payment events (`payments/events.py`) as JSON, so a verified webhook can be stored and applied by a job."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from linemod.framework.billing.payments.events import (
    PaymentEvent,
    PaymentFailed,
    PaymentMethodAttached,
    PaymentMethodExpiring,
    PaymentMethodUpdated,
    PaymentSucceeded,
    RefundSucceeded,
)
from linemod.framework.billing.payments.provider import ChargeOutcome, SavedPaymentMethod

_KINDS: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        PaymentSucceeded,
        PaymentFailed,
        PaymentMethodAttached,
        PaymentMethodUpdated,
        PaymentMethodExpiring,
        RefundSucceeded,
    )
}


def event_to_json(event: PaymentEvent) -> str:
    return json.dumps({"kind": type(event).__name__, "fields": asdict(event)}, ensure_ascii=False)


def event_from_json(text: str) -> PaymentEvent:
    value = json.loads(text)
    fields = dict(value["fields"])
    if "payment_method" in fields:
        fields["payment_method"] = SavedPaymentMethod(**fields["payment_method"])
    if "outcome" in fields:
        fields["outcome"] = ChargeOutcome(fields["outcome"])
    event: PaymentEvent = _KINDS[value["kind"]](**fields)
    return event
