"""定型文 rendered for a ticket in Jinja's sandbox; the OA's context attached to a ticket at creation."""

from __future__ import annotations

import json
from datetime import date

import pytest

from linemod.framework.billing.records import BillingSubscriptionRow
from linemod.framework.clock import ManualClock
from linemod.framework.storage.database import Database
from linemod.framework.storage.models import ChatStateRow, EventRow
from linemod.framework.support.access import StaffOnly
from linemod.framework.support.canned_replies import CannedReplies, CannedReplyError, render
from linemod.framework.support.tickets import TicketService
from tests.framework.support.builders import BOT_A
from tests.framework.support.conftest import People

LINE_429 = (
    'Traceback (most recent call last):\n  File "handlers.py", line 9, in on_message\n'
    "linebot.v3.messaging.exceptions.ApiException: (429)\nReason: Too Many Requests\n"
    "HTTP response headers: HTTPHeaderDict({'x-line-request-id': 'r1'})\n"
    'HTTP response body: {"message":"You have reached your monthly limit."}\n'
)


async def test_a_canned_reply_is_filled_for_the_ticket(
    db: Database, clock: ManualClock, tickets: TicketService, people: People
) -> None:
    canned = CannedReplies(db, clock)
    ticket = await tickets.open(people.operator_a, bot_id=BOT_A, subject="請求書", body="b")
    body = "{{ operator_name }} 様\n{{ oa_name }}（{{ bot_id }}）の件 #{{ ticket_id }}、{{ staff_name }} が承ります。"
    canned_id = await canned.save(people.staff, "受付", body)
    text = await canned.render_for(people.staff, canned_id, ticket.id)
    assert text == (
        f"hanako@sakura.example 様\nさくら美容室（{BOT_A}）の件 #{ticket.id}、staff@provider.example が承ります。"
    )
    assert [title for _id, title, _body in await canned.list(people.staff)] == ["受付"]
    with pytest.raises(StaffOnly):
        await canned.save(people.operator_a, "x", "y")


def test_templates_are_checked_and_sandboxed() -> None:
    with pytest.raises(CannedReplyError, match="unknown variables: opertor_name"):
        render("{{ opertor_name }}", {})
    with pytest.raises(CannedReplyError, match="does not parse"):
        render("{% if %}", {})
    with pytest.raises(CannedReplyError, match="cannot be rendered"):
        render("{{ ticket_subject.__class__.__mro__ }}", {"ticket_subject": "x"})
    assert render("{{ plan }}様", {"plan": None}) == "様"


async def test_the_context_names_failed_events_lines_429_chat_control_and_billing(
    db: Database, tickets: TicketService, people: People, clock: ManualClock
) -> None:
    now = clock.now_ms()
    async with db.transaction() as session:
        session.add(ChatStateRow(bot_id=BOT_A, chat_id="U1", mode="standby", data="{}", updated_at_ms=now))
        session.add(
            EventRow(
                webhook_event_id="01FAILED",
                bot_id=BOT_A,
                chat_key="k",
                event_type="message",
                event_ts_ms=now,
                payload="{}",
                status="dead",
                attempts=6,
                run_at_ms=now,
                last_error=LINE_429,
                received_at_ms=now,
            )
        )
        session.add(
            BillingSubscriptionRow(
                bot_id=BOT_A,
                status="past_due",
                plan_code="pro",
                price_id=1,
                interval="month",
                period_end=date(2027, 2, 1),
                started_at_ms=now,
                revision=1,
                created_at_ms=now,
                updated_at_ms=now,
            )
        )
    ticket = await tickets.open(people.operator_a, bot_id=BOT_A, subject="s", body="b")
    context = ticket.context
    assert context is not None and ticket.plan_code == "pro"
    assert context["chat_control"] == {"standby": 1} and context["dead_letters"] == 1
    [failure] = context["failed_events"]
    assert failure["status"] == "dead" and failure["error"].startswith("HTTP response body")
    [error] = context["line_errors"]
    assert (error["status"], error["reason"]) == (429, "Too Many Requests")
    assert json.loads(error["body"])["message"] == "You have reached your monthly limit."
    assert context["billing"] == {
        "plan": "pro",
        "status": "past_due",
        "interval": "month",
        "trial_ends_at_ms": None,
        "period_end": "2027-02-01",
    }
