"""What a module declares reaches the desk (`app.support.sla`, `business_hours`), the knowledge base's hook
fills the ticket form's suggestions, and the CSAT mail's link rates its ticket without signing anyone in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

import pytest
from sqlalchemy import select

from linemod import BusinessCalendar, ModuleApp, Priority
from linemod.framework.support.records import SupportTicketRow
from linemod.framework.support.sla import DEFAULT_TARGETS
from tests.framework.helpers import make_settings
from tests.framework.support.builders import FRIDAY_10_00
from tests.framework.support.pages.conftest import Desk, location
from tests.framework.support.pages.test_operator_and_staff_pages import open_ticket

MINUTE_MS = 60_000


def test_declarations_make_the_policies_and_bad_ones_are_refused() -> None:
    app = ModuleApp(make_settings())
    app.support.sla(Priority.NORMAL, first_response=30, resolution=600)
    app.support.sla("high", plan="pro", first_response=15)
    app.support.configure(warn_before_minutes=10)
    policies = app.support.policies
    assert policies.targets(None, Priority.NORMAL).first_response == 30
    assert policies.targets("pro", Priority.HIGH).first_response == 15
    assert policies.targets("basic", Priority.HIGH) == DEFAULT_TARGETS[Priority.HIGH]
    assert policies.warn_before_minutes == 10
    for bad in (0, -5, 1.5, True):
        with pytest.raises(ValueError):
            app.support.sla(Priority.LOW, first_response=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        app.support.sla("whenever", first_response=10)
    with pytest.raises(TypeError):
        app.support.business_hours("9-18")  # type: ignore[arg-type]


@dataclass(frozen=True)
class FoundArticle:
    title: str
    url: str


async def test_the_declared_sla_sets_due_times_and_the_suggestions_hook_fills_the_form(desk: Desk) -> None:
    desk.app.support.business_hours(BusinessCalendar.weekdays(time(11), time(19)))
    desk.app.support.sla(Priority.NORMAL, first_response=30, next_response=60, resolution=120)
    number = await open_ticket(desk)  # Friday 10:00: the desk opens at 11:00
    async with desk.console.db.session() as session:
        row = await session.get(SupportTicketRow, number)
    assert row is not None and row.created_at_ms == FRIDAY_10_00
    assert row.first_response_due_ms == FRIDAY_10_00 + 90 * MINUTE_MS  # 11:30
    assert row.resolution_due_ms == FRIDAY_10_00 + 180 * MINUTE_MS  # 13:00

    # the knowledge base's hook fills the form's suggestions (none by default)
    await desk.owner.get("/console/support/new")
    nothing = await desk.owner.get("/console/support/suggestions?subject=請求書&body=")
    assert nothing.status_code == 200 and 'data-testid="suggestion"' not in nothing.text
    asked: list[tuple[str, str]] = []

    async def suggest_articles(text: str, lang: str) -> list[FoundArticle]:
        asked.append((text, lang))
        return [FoundArticle("請求書の再発行", "/help/articles/invoice")] if "請求書" in text else []

    desk.app.support.suggest_articles = suggest_articles
    found = await desk.owner.get("/console/support/suggestions?subject=請求書が届かない&body=")
    assert "請求書の再発行" in found.text and 'href="/help/articles/invoice"' in found.text
    assert asked == [("請求書が届かない\n", "ja")]


async def test_the_rating_link_rates_its_ticket_and_nothing_else(desk: Desk) -> None:
    number = await open_ticket(desk)
    await desk.staff.get(f"/provider/support/tickets/{number}")
    location(
        await desk.staff.post(
            f"/provider/support/tickets/{number}/reply", {"body": "解決しました。", "status": "solved"}
        )
    )
    link = await desk.console.last_link("owner@cafe.example")
    assert link.startswith("/support/rate?token=") and link.endswith("&rating=good")
    visitor = desk.console.browser("10.9.9.9")
    form = await visitor.get(link)
    assert form.status_code == 200 and 'value="good" checked' in form.text
    async with desk.console.db.session() as session:
        assert await session.scalar(select(SupportTicketRow.csat_rating)) is None  # opening the link rates nothing
    token = link.split("token=", 1)[1].split("&", 1)[0]
    assert (await visitor.post("/support/rate", {"token": token, "rating": "bad", "reason": ""})).status_code == 400
    done = await visitor.post("/support/rate", {"token": token, "rating": "bad", "reason": "返信が遅かった"})
    assert done.status_code == 200 and 'data-testid="rating-done"' in done.text
    async with desk.console.db.session() as session:
        row = await session.get(SupportTicketRow, number)
    assert row is not None and (row.csat_rating, row.csat_reason) == ("bad", "返信が遅かった")
    assert (await visitor.post("/support/rate", {"token": "forged", "rating": "good"})).status_code == 400
    assert (await visitor.get("/console/support")).status_code == 303  # the token signed nobody in
    assert (await visitor.get(f"/console/support/tickets/{number}")).status_code == 303
