"""Subscription statuses and the transitions between them (every one is kept in the history table).

    (none) ──attached──▶ trialing ──trial end──▶ active ──payment failed──▶ past_due ──grace over──▶ restricted
    trialing/active/past_due/restricted ──botSuspended──▶ paused ──botResumed──▶ (the status it had)
    trialing/active ──cancel at period end──▶ canceling ──resume──▶ (back) │ ──period end──▶ ended
    any ──detached──▶ ended ──attached again──▶ active (no second trial: the trial ledger outlives detach)

`paused` keeps the status to return to (`resume_status`). past_due and restricted are entered by the payment
side (dunning); a successful payment returns to active.
"""

from __future__ import annotations

from enum import StrEnum


class SubscriptionStatus(StrEnum):
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    RESTRICTED = "restricted"
    PAUSED = "paused"
    CANCELING = "canceling"
    ENDED = "ended"


S = SubscriptionStatus
ALLOWED: dict[SubscriptionStatus | None, frozenset[SubscriptionStatus]] = {
    None: frozenset({S.TRIALING, S.ACTIVE}),
    S.TRIALING: frozenset({S.ACTIVE, S.PAUSED, S.CANCELING, S.ENDED}),
    S.ACTIVE: frozenset({S.PAST_DUE, S.PAUSED, S.CANCELING, S.ENDED}),
    S.PAST_DUE: frozenset({S.ACTIVE, S.RESTRICTED, S.PAUSED, S.ENDED}),
    S.RESTRICTED: frozenset({S.ACTIVE, S.PAUSED, S.ENDED}),
    S.PAUSED: frozenset({S.TRIALING, S.ACTIVE, S.PAST_DUE, S.RESTRICTED, S.CANCELING, S.ENDED}),
    S.CANCELING: frozenset({S.TRIALING, S.ACTIVE, S.PAST_DUE, S.PAUSED, S.ENDED}),
    S.ENDED: frozenset({S.TRIALING, S.ACTIVE}),
}

LIVE = frozenset(set(SubscriptionStatus) - {S.ENDED})
"""Statuses of a subscription that has not ended."""
BILLED = frozenset({S.ACTIVE, S.PAST_DUE, S.RESTRICTED, S.CANCELING})
"""Statuses in which periods are charged and renewed (a canceling one ends at its period's end instead)."""


class TransitionError(RuntimeError):
    """A status change the state machine does not allow (a bug, or a request that makes no sense now)."""


def check_transition(current: SubscriptionStatus | None, target: SubscriptionStatus) -> None:
    if target not in ALLOWED[current]:
        raise TransitionError(f"a subscription cannot go from {current or 'nothing'} to {target}")
