"""The provider console: every tenant with its activity, a tenant's event log and dead letters with replay
(never across tenants), detach behind a typed confirmation, and the queue's health."""

from __future__ import annotations

from sqlalchemy import select, update

from linemod.framework.storage.models import EventRow, QueueStatus
from tests.framework.console.conftest import Console
from tests.framework.helpers import BOT, OTHER_BOT, message_event, user_id


async def with_two_tenants(console: Console) -> None:
    await console.operator("first@example.com")
    await console.give_oa("first@example.com", BOT, name="Cafe Sakura")
    await console.operator("second@example.com")
    await console.give_oa("second@example.com", OTHER_BOT, name="Ramen Kaze")


async def events_of(console: Console, bot_id: str) -> list[EventRow]:
    async with console.db.session() as session:
        return list(await session.scalars(select(EventRow).where(EventRow.bot_id == bot_id).order_by(EventRow.id)))


async def kill(console: Console, bot_id: str) -> None:
    async with console.db.transaction() as session:
        await session.execute(
            update(EventRow)
            .where(EventRow.bot_id == bot_id)
            .values(status=QueueStatus.DEAD, attempts=3, last_error="Traceback\nValueError: no table", finished_at_ms=1)
        )


async def test_the_tenant_list_shows_state_scopes_attach_date_and_activity(console: Console) -> None:
    await with_two_tenants(console)
    for text in ("one", "two"):
        assert (await console.run.post_webhook([message_event(text, user=user_id(1))], BOT)).status_code == 200
    staff = await console.staff()
    page = await staff.get("/provider/")
    assert page.status_code == 200
    assert page.text.count('data-testid="tenant-row"') == 2
    assert "Cafe Sakura" in page.text and "Ramen Kaze" in page.text
    row = page.text.split(f'data-bot-id="{BOT}"')[1].split("</tr>")[0]
    assert "<code>message:send</code>" in row and 'class="num">2</td>' in row  # 2 events in 24 h


async def test_the_event_log_is_per_tenant_and_dead_letters_replay_only_there(console: Console) -> None:
    await with_two_tenants(console)
    await console.run.post_webhook([message_event("a", user=user_id(1))], BOT)
    await console.run.post_webhook([message_event("b", user=user_id(2, OTHER_BOT))], OTHER_BOT)
    await kill(console, BOT)
    await kill(console, OTHER_BOT)
    staff = await console.staff()
    page = await staff.get(f"/provider/tenants/{BOT}")
    assert "<title>Cafe Sakura · linemod</title>" in page.text and "<h1>Cafe Sakura</h1>" in page.text
    assert page.text.count('data-testid="event"') == 1 and page.text.count('data-testid="dead-letter"') == 1
    assert "ValueError: no table" in page.text
    [mine] = await events_of(console, BOT)
    [theirs] = await events_of(console, OTHER_BOT)
    # a forged replay of the other tenant's event through this tenant's URL does nothing
    await staff.post(f"/provider/tenants/{BOT}/replay", {"event_id": str(theirs.id)})
    assert (await events_of(console, OTHER_BOT))[0].status == QueueStatus.DEAD
    replayed = await staff.post(f"/provider/tenants/{BOT}/replay", {"event_id": str(mine.id)})
    assert replayed.status_code == 303
    [again] = await events_of(console, BOT)
    assert again.status == QueueStatus.PENDING and again.attempts == 0
    assert (await events_of(console, OTHER_BOT))[0].status == QueueStatus.DEAD
    filtered = await staff.get(f"/provider/tenants/{OTHER_BOT}?status=dead")
    assert filtered.text.count('data-testid="event"') == 1


async def test_detach_needs_the_basic_id_typed_and_reports_lines_refusal(console: Console) -> None:
    await with_two_tenants(console)
    staff = await console.staff()
    confirm = await staff.get(f"/provider/tenants/{BOT}/detach")
    assert confirm.status_code == 200 and 'data-testid="detach-form"' in confirm.text
    assert "Cafe Sakura からモジュールの連携を解除しますか？" in confirm.text
    mistyped = await staff.post(f"/provider/tenants/{BOT}/detach", {"confirm": "@wrong"})
    assert mistyped.status_code == 400
    assert (await console.app.runtime.tenants.get(BOT)).state == "attached"
    unreachable = await staff.post(f"/provider/tenants/{BOT}/detach", {"confirm": "@123abcd"})
    assert unreachable.status_code == 502  # no LINE in this test: nothing changes here either
    assert (await console.app.runtime.tenants.get(BOT)).state == "attached"


async def test_health_shows_queue_depth_oldest_event_failure_rate_and_intake(console: Console) -> None:
    await with_two_tenants(console)
    for n in range(3):
        await console.run.post_webhook([message_event(f"m{n}", user=user_id(n))], BOT)
    await console.run.post_webhook([message_event("x", user=user_id(9, OTHER_BOT))], OTHER_BOT)
    async with console.db.transaction() as session:
        now = console.app.runtime.clock.now_ms()
        await session.execute(
            update(EventRow).where(EventRow.bot_id == OTHER_BOT).values(status="dead", finished_at_ms=now)
        )
    staff = await console.staff()
    page = await staff.get("/provider/health")
    assert 'data-testid="queue-depth">3<' in page.text
    assert 'data-testid="intake">4/min<' in page.text
    assert 'data-testid="failure-rate">100.0 %<' in page.text
    assert 'data-testid="dead">1<' in page.text
    partial = await staff.http.get("/provider/health", headers={"HX-Request": "true"})
    assert partial.text.lstrip().startswith('<div class="metrics"')  # htmx refreshes only the numbers


async def test_the_billing_tab_says_when_the_module_does_not_invoice(console: Console) -> None:
    staff = await console.staff()
    page = await staff.get("/provider/billing/")
    assert page.status_code == 200 and 'data-testid="billing-not-configured"' in page.text
    assert (await staff.get("/provider/billing/archive")).status_code == 404  # nothing to search
