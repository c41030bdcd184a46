"""Tickets: opening, the conversation, staff changes, the audit log, CSAT; what each viewer may see."""

from __future__ import annotations

import pytest

from linemod.framework.clock import ManualClock
from linemod.framework.support.access import StaffOnly, TicketNotFound
from linemod.framework.support.attachments import AttachmentRefused, NewAttachment
from linemod.framework.support.states import Csat, MessageKind, Priority, TicketStatus, TicketType
from linemod.framework.support.tickets import CsatError, TicketService
from tests.framework.support.builders import BOT_A, BOT_B
from tests.framework.support.conftest import People

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100


async def test_an_operator_opens_a_ticket_about_their_oa_with_its_context(
    tickets: TicketService, people: People
) -> None:
    ticket = await tickets.open(
        people.operator_a,
        bot_id=BOT_A,
        subject="予約が届きません",
        body="昨日から予約通知が来ません",
        type=TicketType.INCIDENT,
        attachments=[NewAttachment("画面.png", "image/png", PNG)],
    )
    assert ticket.status == TicketStatus.NEW and ticket.channel == "console"
    assert ticket.requester_email == "hanako@sakura.example" and ticket.tag == f"[#{ticket.id}]"
    assert ticket.context is not None and ticket.context["oa"]["name"] == "さくら美容室"
    assert ticket.context["scopes"] == ["message:send"] and ticket.context["billing"] is None
    [message] = await tickets.messages(people.operator_a, ticket.id)
    assert message.kind == MessageKind.PUBLIC and message.author_kind == "operator"
    [file] = message.attachments
    assert (file.filename, file.size_bytes) == ("画面.png", len(PNG))
    stored = await tickets.attachment(people.staff, ticket.id, file.id)
    assert stored.content == PNG


async def test_an_operator_cannot_open_a_ticket_about_another_oa(tickets: TicketService, people: People) -> None:
    with pytest.raises(TicketNotFound):
        await tickets.open(people.operator_a, bot_id=BOT_B, subject="x", body="y")


async def test_attachments_over_the_limits_are_refused(tickets: TicketService, people: People) -> None:
    with pytest.raises(AttachmentRefused) as refused:
        await tickets.open(
            people.operator_a,
            bot_id=BOT_A,
            subject="s",
            body="b",
            attachments=[NewAttachment("page.html", "text/html", b"<script>")],
        )
    assert refused.value.code == "type_not_allowed"
    big = NewAttachment("big.pdf", "application/pdf", b"0" * (tickets.limits.max_bytes + 1))
    with pytest.raises(AttachmentRefused, match="too_large"):
        await tickets.open(people.operator_a, bot_id=BOT_A, subject="s", body="b", attachments=[big])


async def test_internal_notes_are_for_staff_only(tickets: TicketService, people: People) -> None:
    ticket = await tickets.open(people.operator_a, bot_id=BOT_A, subject="s", body="b")
    await tickets.add_note(people.staff, ticket.id, "customer on the old plan")
    assert [m.kind for m in await tickets.messages(people.staff, ticket.id)] == ["public", "internal"]
    assert [m.kind for m in await tickets.messages(people.operator_a, ticket.id)] == ["public"]
    with pytest.raises(StaffOnly):
        await tickets.add_note(people.operator_a, ticket.id, "sneaky")


async def test_staff_changes_are_audited(tickets: TicketService, people: People, clock: ManualClock) -> None:
    ticket = await tickets.open(people.operator_a, bot_id=BOT_A, subject="s", body="b")
    await tickets.assign(people.staff, ticket.id, people.staff.id)
    await tickets.set_priority(people.staff, ticket.id, Priority.HIGH)
    await tickets.set_tags(people.staff, ticket.id, ["Webhook", "webhook", " line "])
    await tickets.reply(people.staff, ticket.id, "調査します", status=TicketStatus.PENDING)
    changed = await tickets.get(people.staff, ticket.id)
    assert (changed.assignee_id, changed.priority, changed.tags) == (people.staff.id, "high", ("line", "webhook"))
    assert changed.status == TicketStatus.PENDING
    log = await tickets.audit_log(people.staff, ticket.id)
    assert [entry.action for entry in log] == [
        "created",
        "reply",
        "assignee_id",
        "priority",
        "tags",
        "reply",
        "status",
        "status",
    ]
    assert log[3].detail == {"old": "normal", "new": "high"} and log[3].actor_account_id == people.staff.id
    assert log[-2].detail == {"old": "new", "new": "open"} and log[-1].detail == {"old": "open", "new": "pending"}
    with pytest.raises(StaffOnly):
        await tickets.audit_log(people.operator_a, ticket.id)
    with pytest.raises(ValueError, match="not provider staff"):
        await tickets.assign(people.staff, ticket.id, people.operator_a.id)


async def test_a_customer_reply_reopens_a_pending_or_solved_ticket(tickets: TicketService, people: People) -> None:
    ticket = await tickets.open(people.operator_a, bot_id=BOT_A, subject="s", body="b")
    await tickets.reply(people.staff, ticket.id, "a", status=TicketStatus.PENDING)
    await tickets.reply(people.operator_a, ticket.id, "more details")
    assert (await tickets.get(people.staff, ticket.id)).status == TicketStatus.OPEN
    await tickets.set_status(people.staff, ticket.id, TicketStatus.SOLVED)
    await tickets.reply(people.operator_a, ticket.id, "still broken")
    assert (await tickets.get(people.staff, ticket.id)).status == TicketStatus.OPEN


async def test_a_closed_ticket_takes_no_reply(tickets: TicketService, people: People) -> None:
    ticket = await tickets.open(people.operator_a, bot_id=BOT_A, subject="s", body="b")
    await tickets.set_status(people.staff, ticket.id, TicketStatus.CLOSED)
    with pytest.raises(TicketNotFound):
        await tickets.reply(people.operator_a, ticket.id, "hello?")
    with pytest.raises(ValueError, match="stays closed"):
        await tickets.set_status(people.staff, ticket.id, TicketStatus.OPEN)


async def test_csat_on_a_solved_ticket_with_a_reason_on_bad(tickets: TicketService, people: People) -> None:
    ticket = await tickets.open(people.operator_a, bot_id=BOT_A, subject="s", body="b")
    with pytest.raises(CsatError, match="solved"):
        await tickets.rate(people.operator_a, ticket.id, Csat.GOOD)
    await tickets.set_status(people.staff, ticket.id, TicketStatus.SOLVED)
    with pytest.raises(CsatError, match="reason"):
        await tickets.rate(people.operator_a, ticket.id, Csat.BAD, " ")
    rated = await tickets.rate(people.operator_a, ticket.id, Csat.BAD, "返信が遅い")
    assert (rated.csat_rating, rated.csat_reason) == ("bad", "返信が遅い")
    assert [e.action for e in await tickets.audit_log(people.staff, ticket.id)][-1] == "csat"


async def test_another_oas_operator_gets_not_found_from_every_method(tickets: TicketService, people: People) -> None:
    ticket = await tickets.open(people.operator_a, bot_id=BOT_A, subject="s", body="b")
    [message] = await tickets.messages(people.operator_a, ticket.id)
    outsider, tid = people.operator_b, ticket.id
    calls = [
        tickets.get(outsider, tid),
        tickets.messages(outsider, tid),
        tickets.attachment(outsider, tid, 1),
        tickets.audit_log(outsider, tid),
        tickets.reply(outsider, tid, "x"),
        tickets.add_note(outsider, tid, "x"),
        tickets.set_status(outsider, tid, TicketStatus.SOLVED),
        tickets.set_priority(outsider, tid, Priority.URGENT),
        tickets.set_type(outsider, tid, TicketType.BILLING),
        tickets.assign(outsider, tid, None),
        tickets.set_tags(outsider, tid, ["x"]),
        tickets.rate(outsider, tid, Csat.GOOD),
    ]
    for call in calls:
        with pytest.raises(TicketNotFound):
            await call
    assert await tickets.find(outsider) == []
    assert [t.id for t in await tickets.find(people.operator_a)] == [tid]
    assert [t.id for t in await tickets.find(people.staff, statuses=[TicketStatus.NEW])] == [tid]
    assert message.body == "b"
