"""What a ticket can be: status, priority, type, and who wrote a message. Labels are gettext message IDs
(English), translated where they are shown; Japanese follows the operators' words in LINE's OA Manager and
Zendesk's Japanese UI (新規・対応中・返信待ち・保留・解決済み・クローズ)."""

from __future__ import annotations

from enum import StrEnum

from linemod.framework.i18n import N_


class TicketStatus(StrEnum):
    NEW = "new"  # nobody on the provider's side has touched it
    OPEN = "open"  # the provider's turn
    PENDING = "pending"  # waiting on the customer: the resolution clock stops
    ON_HOLD = "on_hold"  # waiting on a third party (LINE, a payment provider): the provider's problem, clock runs
    SOLVED = "solved"  # answered; the customer can still reply (it reopens) until it is closed
    CLOSED = "closed"  # final: a reply makes a new ticket


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketType(StrEnum):
    QUESTION = "question"
    INCIDENT = "incident"
    BILLING = "billing"
    CANCELLATION = "cancellation"
    REQUEST = "request"


class MessageKind(StrEnum):
    PUBLIC = "public"  # a reply the customer sees (and, from staff, is mailed)
    INTERNAL = "internal"  # a note for staff only


class AuthorKind(StrEnum):
    OPERATOR = "operator"  # a signed-in operator account
    STAFF = "staff"  # a provider staff account
    SYSTEM = "system"  # the help desk itself (automations, SLA)
    MAIL = "mail"  # a mail address with no account behind it


class Csat(StrEnum):
    GOOD = "good"
    BAD = "bad"


STATUS_LABELS: dict[TicketStatus, str] = {
    TicketStatus.NEW: N_("New"),
    TicketStatus.OPEN: N_("Open"),
    TicketStatus.PENDING: N_("Pending"),
    TicketStatus.ON_HOLD: N_("On hold"),
    TicketStatus.SOLVED: N_("Solved"),
    TicketStatus.CLOSED: N_("Closed"),
}
PRIORITY_LABELS: dict[Priority, str] = {
    Priority.LOW: N_("Low"),
    Priority.NORMAL: N_("Normal"),
    Priority.HIGH: N_("High"),
    Priority.URGENT: N_("Urgent"),
}
TYPE_LABELS: dict[TicketType, str] = {
    TicketType.QUESTION: N_("Question"),
    TicketType.INCIDENT: N_("Incident"),
    TicketType.BILLING: N_("Billing"),
    TicketType.CANCELLATION: N_("Cancellation"),
    TicketType.REQUEST: N_("Request"),
}

PRIORITY_ORDER = (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)
UNRESOLVED = frozenset({TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.ON_HOLD})
"""Statuses whose SLA clocks are still running (or paused, for pending)."""


def raised(priority: Priority) -> Priority:
    """One step more urgent (urgent stays urgent): what an SLA breach escalates to."""
    index = PRIORITY_ORDER.index(priority)
    return PRIORITY_ORDER[min(index + 1, len(PRIORITY_ORDER) - 1)]


class TransitionError(ValueError):
    """A status change the help desk does not allow (a closed ticket is final)."""


def check_transition(current: TicketStatus, target: TicketStatus) -> None:
    if current == TicketStatus.CLOSED and target != TicketStatus.CLOSED:
        raise TransitionError("a closed ticket stays closed: a new message opens a new ticket")
    if target == TicketStatus.NEW and current != TicketStatus.NEW:
        raise TransitionError("a ticket someone has worked on cannot be new again")
