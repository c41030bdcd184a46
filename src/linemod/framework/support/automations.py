"""What the help desk does on its own, run by the sweep job on the app's clock: remind a customer who has not
answered a pending ticket, solve it for them later, close solved tickets, warn before an SLA breach and
escalate at one, and retry staff replies whose mail failed.

Each step is idempotent: a reminder is marked on the ticket (`reminded_at_ms`, per pending spell), a warning
or breach per target (`sla_notified_json`), so a sweep run twice acts once.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from sqlalchemy import or_, select

from linemod.framework.storage.models import Account
from linemod.framework.support import audit
from linemod.framework.support.audit import Actor
from linemod.framework.support.mail_out import SupportMailer
from linemod.framework.support.records import SupportMessageRow, SupportTicketRow
from linemod.framework.support.sla import Target, dues
from linemod.framework.support.states import UNRESOLVED, MessageKind, Priority, TicketStatus, raised
from linemod.framework.support.ticket_records import Ticket, marks_of
from linemod.framework.support.ticket_rules import Outcome, add_message, move, refresh_sla
from linemod.framework.support.tickets import TicketService

log = logging.getLogger("linemod.support")
DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class AutomationRules:
    """Days before each step (0 = never): reminder after `remind_after_days` pending, solved
    `solve_after_days` after the reminder, closed `close_after_days` after solved."""

    remind_after_days: int = 3
    solve_after_days: int = 7
    close_after_days: int = 4


class Automations:
    def __init__(self, tickets: TicketService, mailer: SupportMailer | None, rules: AutomationRules) -> None:
        self.tickets = tickets
        self.mailer = mailer
        self.rules = rules

    async def run(self) -> None:
        await self.remind_and_solve_pending()
        await self.close_solved()
        await self.sla_actions()
        await self.retry_replies()

    async def remind_and_solve_pending(self) -> None:
        rules, now = self.rules, self.tickets.clock.now_ms()
        async with self.tickets.db.session() as session:
            pending = list(
                await session.scalars(select(SupportTicketRow).where(SupportTicketRow.status == TicketStatus.PENDING))
            )
        for ticket in pending:
            assert ticket.pending_since_ms is not None
            if ticket.reminded_at_ms is None and rules.remind_after_days:
                if now - ticket.pending_since_ms >= rules.remind_after_days * DAY_MS:
                    await self._remind(ticket.id)
                continue
            # Solved counting from the reminder, or from the start of the wait when reminders are off.
            since = ticket.reminded_at_ms or ticket.pending_since_ms
            if rules.solve_after_days and now - since >= rules.solve_after_days * DAY_MS:
                await self._move(ticket.id, TicketStatus.SOLVED, "auto_solve", TicketStatus.PENDING)

    async def _remind(self, ticket_id: int) -> None:
        now = self.tickets.clock.now_ms()
        async with self.tickets.db.transaction() as session:
            row = await session.get(SupportTicketRow, ticket_id, with_for_update=True)
            if row is None or row.status != TicketStatus.PENDING or row.reminded_at_ms is not None:
                return
            row.reminded_at_ms = now
            audit.record(session, row.id, Actor.system(), "reminder", now)
            ticket = Ticket.from_row(row)
            days = (now - (row.pending_since_ms or now)) // DAY_MS
        if self.mailer is not None:
            try:
                await self.mailer.remind_pending(ticket, int(days), self.rules.solve_after_days)
            except Exception:
                log.warning("mailing the reminder of ticket %s failed", ticket_id, exc_info=True)

    async def _move(self, ticket_id: int, target: TicketStatus, reason: str, expected: TicketStatus) -> None:
        service, now = self.tickets, self.tickets.clock.now_ms()
        outcome = Outcome([])
        async with service.db.transaction() as session:
            row = await session.get(SupportTicketRow, ticket_id, with_for_update=True)
            if row is None or row.status != expected:
                return  # the customer answered (or staff acted) meanwhile
            move(session, row, target, Actor.system(), now, service.policies, outcome)
            audit.record(session, row.id, Actor.system(), reason, now)
            ticket = Ticket.from_row(row)
        await service.after(ticket, outcome)

    async def close_solved(self) -> None:
        if not self.rules.close_after_days:
            return
        cutoff = self.tickets.clock.now_ms() - self.rules.close_after_days * DAY_MS
        async with self.tickets.db.session() as session:
            ids = list(
                await session.scalars(
                    select(SupportTicketRow.id).where(
                        SupportTicketRow.status == TicketStatus.SOLVED, SupportTicketRow.solved_at_ms <= cutoff
                    )
                )
            )
        for ticket_id in ids:
            await self._move(ticket_id, TicketStatus.CLOSED, "auto_close", TicketStatus.SOLVED)

    async def sla_actions(self) -> None:
        """Warn the assignee `warn_before_minutes` business minutes before a due time; at a breach, raise the
        priority one step and hand the ticket to `escalate_to` (when set), and warn again."""
        service, now = self.tickets, self.tickets.clock.now_ms()
        policies = service.policies
        horizon = policies.calendar.add_business_minutes(now, policies.warn_before_minutes)
        due_columns = (
            SupportTicketRow.first_response_due_ms,
            SupportTicketRow.next_response_due_ms,
            SupportTicketRow.resolution_due_ms,
        )
        async with service.db.session() as session:
            ids = list(
                await session.scalars(
                    select(SupportTicketRow.id).where(
                        SupportTicketRow.status.in_([s.value for s in UNRESOLVED]),
                        or_(*(column <= horizon for column in due_columns)),
                    )
                )
            )
        for ticket_id in ids:
            await self._sla_step(ticket_id, now)

    async def _sla_step(self, ticket_id: int, now: int) -> None:
        service = self.tickets
        policies = service.policies
        warnings = []
        async with service.db.transaction() as session:
            row = await session.get(SupportTicketRow, ticket_id, with_for_update=True)
            if row is None or row.status not in UNRESOLVED:
                return
            done = set(json.loads(row.sla_notified_json))
            targets = policies.targets(row.plan_code, Priority(row.priority))
            for due in dues(marks_of(row), targets, policies.calendar):
                if due.met_at_ms is not None or due.due_ms is None:
                    continue
                breached = now > due.due_ms
                # Once per target (per customer message, for next response), not per due time: an escalation
                # raises the priority, which moves the due times earlier, and must not escalate again for that.
                anchor = row.awaiting_reply_since_ms if due.target == Target.NEXT_RESPONSE else 0
                key = f"{'breach' if breached else 'warn'}:{due.target}:{anchor}"
                remaining = due.remaining_business_ms(policies.calendar, now)
                near = remaining is not None and remaining <= policies.warn_before_minutes * 60_000
                if key in done or not near:
                    continue
                done.add(key)
                detail = {"target": due.target.value, "due_ms": due.due_ms}
                if breached:
                    old = row.priority
                    row.priority = raised(Priority(row.priority)).value
                    if policies.escalate_to is not None:
                        row.assignee_id = policies.escalate_to
                    audit.record(
                        session,
                        row.id,
                        Actor.system(),
                        "sla_breach",
                        now,
                        **detail,
                        old_priority=old,
                        new_priority=row.priority,
                        assignee_id=row.assignee_id,
                    )
                    note = f"SLA breached: {due.target.value} was due at {due.due_ms}"
                    await add_message(
                        session, row, Actor.system(), note, MessageKind.INTERNAL, now, policies, Outcome([])
                    )
                else:
                    audit.record(session, row.id, Actor.system(), "sla_warning", now, **detail)
                warnings.append((due.target, due.due_ms, breached))
            row.sla_notified_json = json.dumps(sorted(done))
            refresh_sla(row, policies)
            ticket = Ticket.from_row(row)
            assignee = await session.get(Account, row.assignee_id) if row.assignee_id else None
        if self.mailer is None or assignee is None:
            return
        for target, due_ms, breached in warnings:
            try:
                await self.mailer.warn_sla(assignee.email, ticket, target, due_ms, breached=breached)
            except Exception:
                log.warning("mailing the SLA warning of ticket %s failed", ticket_id, exc_info=True)

    async def retry_replies(self) -> None:
        if self.mailer is None:
            return
        async with self.tickets.db.session() as session:
            due = list(await session.scalars(select(SupportMessageRow.id).where(SupportMessageRow.mail_state == "due")))
        for message_id in due:
            try:
                await self.mailer.deliver_reply(message_id)
            except Exception:
                log.warning("mailing reply %s failed again", message_id, exc_info=True)
