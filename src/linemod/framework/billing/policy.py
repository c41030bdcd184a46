"""The module author's billing rules that are not prices: the trial, what happens at its end, on suspension
and on detach, the billing anchor, and which entitlements each subscription status grants.

Set with `app.billing.configure(...)`. What a deployment decides (reminder days, how often LINE's quota is
read) lives in `Settings` instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from linemod.framework.billing.catalog import CatalogError
from linemod.framework.billing.states import SubscriptionStatus

TrialEnd = Literal["auto", "invoice", "cancel", "pause", "detach"]
OnSuspend = Literal["pause", "continue"]
FinalInvoice = Literal["usage", "prorated", "none"]
Anchor = Literal["month_start", "anniversary"]
Grant = Literal["plan", "restricted", "none"]

DEFAULT_GRANTS: dict[SubscriptionStatus, Grant] = {
    SubscriptionStatus.TRIALING: "plan",
    SubscriptionStatus.ACTIVE: "plan",
    SubscriptionStatus.CANCELING: "plan",
    SubscriptionStatus.PAST_DUE: "plan",  # payment is being retried: keep serving while dunning runs
    SubscriptionStatus.RESTRICTED: "restricted",
    SubscriptionStatus.PAUSED: "none",
    SubscriptionStatus.ENDED: "none",
}


@dataclass(frozen=True)
class BillingPolicy:
    """trial_days: free days from the first attach of an OA (once per OA, ever; 0: no trial).
    trial_end: at the trial's end, "invoice" (activate and charge the first period), "cancel" (end the
        subscription), "pause" (no entitlements until a payment method is added), "detach" (end it and detach
        the module through LINE's Detach API), or "auto" (the default): "invoice" when the OA's billing account
        has a payment method, else "pause" — nobody is charged without a way to pay, and nobody loses the
        module's data at the trial's end.
    on_suspend: "pause" (the default: botSuspended pauses billing, botResumed resumes it) or "continue".
    final_invoice: at detach, "usage" (the default: usage since the last charge; the paid period is not
        refunded), "prorated" (that usage plus a credit for the unused days of the paid period) or "none".
    anchor: periods start on the 1st of the month ("month_start", the default; the first period is prorated
        by day) or on the day the subscription became active ("anniversary").
    restricted_entitlements: what a `restricted` subscription (unpaid after dunning) still allows.
    grants: per status, which entitlements apply: "plan", "restricted" or "none" (defaults: the plan's while
        trialing, active, canceling and past due; the restricted set when restricted; none paused or ended).
    """

    trial_days: int = 30
    trial_end: TrialEnd = "auto"
    on_suspend: OnSuspend = "pause"
    final_invoice: FinalInvoice = "usage"
    anchor: Anchor = "month_start"
    restricted_entitlements: frozenset[str] = frozenset()
    grants: Mapping[SubscriptionStatus, Grant] = field(default_factory=lambda: dict(DEFAULT_GRANTS), hash=False)

    def __post_init__(self) -> None:
        if isinstance(self.trial_days, bool) or not isinstance(self.trial_days, int) or self.trial_days < 0:
            raise CatalogError(f"trial_days is a whole number of days (0: no trial), not {self.trial_days!r}")
        _check_choice("trial_end", self.trial_end, ("auto", "invoice", "cancel", "pause", "detach"))
        _check_choice("on_suspend", self.on_suspend, ("pause", "continue"))
        _check_choice("final_invoice", self.final_invoice, ("usage", "prorated", "none"))
        _check_choice("anchor", self.anchor, ("month_start", "anniversary"))
        for status, grant in self.grants.items():
            _check_choice(f"grants[{status}]", grant, ("plan", "restricted", "none"))

    def grant(self, status: SubscriptionStatus) -> Grant:
        return self.grants.get(status, DEFAULT_GRANTS[status])

    def configured(self, **changes: Any) -> BillingPolicy:
        """A copy with `changes`; `grants` entries merge into the current ones (keys: status names)."""
        unknown = set(changes) - set(self.__dataclass_fields__)
        if unknown:
            raise TypeError(f"billing.configure() got unknown options {sorted(unknown)}")
        if "grants" in changes:
            merged: dict[SubscriptionStatus, Grant] = dict(self.grants)
            for status, grant in dict(changes["grants"]).items():
                merged[_status(status)] = grant
            changes["grants"] = merged
        if "restricted_entitlements" in changes:
            changes["restricted_entitlements"] = _names(changes["restricted_entitlements"])
        return replace(self, **changes)


def _status(value: object) -> SubscriptionStatus:
    try:
        return SubscriptionStatus(str(value))
    except ValueError:
        raise CatalogError(f"{value!r} is not a subscription status: {[s.value for s in SubscriptionStatus]}") from None


def _names(values: Iterable[str] | str) -> frozenset[str]:
    if isinstance(values, str):
        raise CatalogError(f"give entitlements as a list of names, not the string {values!r}")
    return frozenset(values)


def _check_choice(what: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise CatalogError(f"{what} is one of {choices}, not {value!r}")
