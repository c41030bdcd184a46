"""SLA timers as the pages show them: for each running target, its due time, the business time left (or past)
and a state, "breached", "warning" (within the policy's warning time) or "ok"; and the ticket's overall state,
the worst of its targets ("none" when no clock runs: solved, closed, or paused while pending)."""

from __future__ import annotations

from dataclasses import dataclass

from linemod.framework.i18n import N_
from linemod.framework.support.business_hours import MINUTE_MS
from linemod.framework.support.sla import SlaPolicies, Target
from linemod.framework.support.ticket_records import Ticket

SLA_STATES = ("breached", "warning", "ok", "none")
TARGET_LABELS = {
    Target.FIRST_RESPONSE: N_("First response"),
    Target.NEXT_RESPONSE: N_("Next response"),
    Target.RESOLUTION: N_("Resolution"),
}
STATE_LABELS = {
    "breached": N_("Breached"),
    "warning": N_("Due soon"),
    "ok": N_("On time"),
    "none": N_("No timer"),
}


@dataclass(frozen=True)
class Timer:
    target: Target
    due_ms: int
    left_minutes: int  # business minutes left; negative once past the due time
    state: str

    @property
    def label(self) -> str:
        return TARGET_LABELS[self.target]

    @property
    def hours_minutes(self) -> tuple[int, int]:
        """abs(left) as (hours, minutes), for "2 h 05 min left" and "1 h 10 min over"."""
        return divmod(abs(self.left_minutes), 60)


def timers(ticket: Ticket, policies: SlaPolicies, now_ms: int) -> list[Timer]:
    """The running targets of `ticket`, soonest due first."""
    calendar = policies.calendar
    found = []
    for target, due in (
        (Target.FIRST_RESPONSE, ticket.first_response_due_ms),
        (Target.NEXT_RESPONSE, ticket.next_response_due_ms),
        (Target.RESOLUTION, ticket.resolution_due_ms),
    ):
        if due is None:
            continue
        if now_ms > due:
            left, state = -(calendar.business_ms_between(due, now_ms) // MINUTE_MS), "breached"
        else:
            left = calendar.business_ms_between(now_ms, due) // MINUTE_MS
            state = "warning" if left <= policies.warn_before_minutes else "ok"
        found.append(Timer(target, due, left, state))
    return sorted(found, key=lambda timer: timer.due_ms)


def overall(found: list[Timer]) -> str:
    for state in SLA_STATES[:3]:
        if any(timer.state == state for timer in found):
            return state
    return "none"


def next_due_ms(ticket: Ticket) -> int | None:
    """The soonest due time of a ticket's running targets (the queue's order)."""
    dues = [d for d in (ticket.first_response_due_ms, ticket.next_response_due_ms, ticket.resolution_due_ms) if d]
    return min(dues) if dues else None
