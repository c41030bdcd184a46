"""SLA policies and the clock of one ticket: pure functions from a ticket's marks to due times and breaches.

Three targets, in business minutes of the policy's calendar (Zendesk's and Plain's, Zammad's calendars):
first response (from creation to the first public reply of staff), next response (from a customer message
that waits for an answer to the staff reply to it) and resolution (from creation to solved). Resolution
stops while the ticket is pending on the customer: its due time moves on by the open time spent pending.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from linemod.framework.support.business_hours import MINUTE_MS, BusinessCalendar
from linemod.framework.support.states import Priority


class Target(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


@dataclass(frozen=True)
class SlaTargets:
    """Business minutes allowed for each target (None: no target)."""

    first_response: int | None = None
    next_response: int | None = None
    resolution: int | None = None


# A starting point for a small provider's staff (9:00–18:00 is 540 business minutes a day).
DEFAULT_TARGETS: Mapping[Priority, SlaTargets] = {
    Priority.URGENT: SlaTargets(first_response=60, next_response=120, resolution=540),
    Priority.HIGH: SlaTargets(first_response=240, next_response=240, resolution=3 * 540),
    Priority.NORMAL: SlaTargets(first_response=540, next_response=540, resolution=5 * 540),
    Priority.LOW: SlaTargets(first_response=2 * 540, next_response=2 * 540, resolution=10 * 540),
}


@dataclass(frozen=True)
class SlaPolicies:
    """Targets per priority, overridden per plan (`plans["pro"][Priority.HIGH]`), on one calendar.

    `warn_before_minutes`: business minutes before a due time when the assignee is warned. `escalate_to`: the
    staff account a breached ticket is reassigned to (None: it keeps its assignee and only rises in priority).
    """

    default: Mapping[Priority, SlaTargets] = field(default_factory=lambda: dict(DEFAULT_TARGETS))
    plans: Mapping[str, Mapping[Priority, SlaTargets]] = field(default_factory=dict)
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    warn_before_minutes: int = 60
    escalate_to: int | None = None

    def targets(self, plan_code: str | None, priority: Priority) -> SlaTargets:
        per_plan = self.plans.get(plan_code or "", {})
        return per_plan.get(priority) or self.default.get(priority) or SlaTargets()


@dataclass(frozen=True)
class SlaMarks:
    """What the clock needs of a ticket (the columns of `SupportTicketRow` of the same names)."""

    created_at_ms: int
    first_response_at_ms: int | None = None
    awaiting_reply_since_ms: int | None = None
    pending_since_ms: int | None = None
    pending_business_ms: int = 0
    solved_at_ms: int | None = None


@dataclass(frozen=True)
class Due:
    """One target of one ticket: when it is due (None while its clock is paused), when it was met."""

    target: Target
    due_ms: int | None
    met_at_ms: int | None = None
    paused: bool = False
    breached_while_running: bool = False  # paused, but the due time had already passed when the pause began

    def breached(self, now_ms: int) -> bool:
        if self.paused:
            return self.breached_while_running
        assert self.due_ms is not None
        return (self.met_at_ms if self.met_at_ms is not None else now_ms) > self.due_ms

    def remaining_business_ms(self, calendar: BusinessCalendar, now_ms: int) -> int | None:
        """Open time left before the due time (negative once passed; None when met or paused)."""
        if self.met_at_ms is not None or self.due_ms is None:
            return None
        if now_ms <= self.due_ms:
            return calendar.business_ms_between(now_ms, self.due_ms)
        return -calendar.business_ms_between(self.due_ms, now_ms)


def dues(marks: SlaMarks, targets: SlaTargets, calendar: BusinessCalendar) -> list[Due]:
    """The due times of the targets that apply to a ticket now."""
    found: list[Due] = []
    if targets.first_response is not None:
        due = calendar.add_business_minutes(marks.created_at_ms, targets.first_response)
        found.append(Due(Target.FIRST_RESPONSE, due, marks.first_response_at_ms))
    if (
        targets.next_response is not None
        and marks.first_response_at_ms is not None
        and marks.awaiting_reply_since_ms is not None
    ):
        due = calendar.add_business_minutes(marks.awaiting_reply_since_ms, targets.next_response)
        found.append(Due(Target.NEXT_RESPONSE, due, None))
    if targets.resolution is not None:
        allowed_ms = targets.resolution * MINUTE_MS + marks.pending_business_ms
        due = calendar.add_business_ms(marks.created_at_ms, allowed_ms)
        if marks.pending_since_ms is not None and marks.solved_at_ms is None:
            found.append(
                Due(Target.RESOLUTION, None, None, paused=True, breached_while_running=marks.pending_since_ms > due)
            )
        else:
            found.append(Due(Target.RESOLUTION, due, marks.solved_at_ms))
    return found


def due_of(found: list[Due], target: Target) -> Due | None:
    return next((due for due in found if due.target == target), None)
