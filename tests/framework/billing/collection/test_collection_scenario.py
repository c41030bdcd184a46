"""Issue 12's scenario, end to end on the emulator's clock against a real localstripe, on both engines.

OA 1 attaches, gets the trial reminders (7 and 3 days before), saves a card, becomes active at the trial's
end and is invoiced and charged; it is renewed with its usage; its card is replaced by one that declines,
the renewal fails, is retried on days 1, 3, 5 and 7, the OA is restricted; it saves a good card, which pays,
and is active again. OA 2 saves a card that always declines: past due, restricted, the final notice, then
the provider detaches it through LINE's Detach API and the module sees the `detached` event.

Every document issued on the way goes through the qualified-invoice checker, and its PDF (read back with
pdftotext) shows the mandatory items. Nothing waits on time: each step moves the emulator's clock and waits
for the state it brings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from linemod.framework.billing.billing_contacts import BillingContact
from linemod.framework.billing.collection_records import CollectionStatus, StripeWebhookEventRow
from linemod.framework.billing.invoicing.documents import DocumentKind
from linemod.framework.storage.models import Tenant
from tests.framework.billing.builders import ISSUER, assert_qualified
from tests.framework.billing.collection.scenario_world import (
    DECLINING_CARD,
    GOOD_CARD,
    ScenarioWorld,
    attachments_of,
    pdf_text,
)
from tests.framework.billing.helpers import subscription
from tests.support.localstripe import LocalStripe, localstripe_server  # noqa: F401  (fixture)

CAFE, SALON = "cafe@example.jp", "salon@example.jp"


@pytest.fixture
def world(line_emulator: str, db: Any, localstripe_server: LocalStripe) -> Iterator[ScenarioWorld]:  # noqa: F811
    w = ScenarioWorld(line_emulator, db, localstripe_server)
    with w.server:
        yield w
    w.browser.close()
    w.emu.close()


async def test_trial_to_active_renewal_decline_retries_restricted_paid_and_a_non_payer_detached(
    world: ScenarioWorld, db: Any
) -> None:
    cafe = world.first_bot
    world.attach()
    salon = world.attach_another_oa("Salon Hana")
    for bot in (cafe, salon):
        await world.eventually(lambda bot=bot: world.status_is(bot, "trialing"))
    cafe_contact = BillingContact("株式会社カフェさくら", CAFE, cc=("keiri@example.jp",))
    world.run(world.collection.save_contact(cafe, cafe_contact))
    world.run(world.collection.save_contact(salon, BillingContact("サロン花", SALON)))

    # the trial's reminders, 7 and 3 days before its end
    world.advance_days(23.05)
    for to in (CAFE, SALON):
        await world.eventually(lambda to=to: world.mails(to, "あと7日"))
    world.advance_days(4)
    for to in (CAFE, SALON):
        await world.eventually(lambda to=to: world.mails(to, "あと3日"))

    # cards saved through the pay page's card form (localstripe confirms the SetupIntents, as Stripe.js would)
    assert world.save_card(cafe, GOOD_CARD)["card"]["last4"] == "4242"
    assert world.save_card(salon, DECLINING_CARD)["card"]["last4"] == "0341"

    # the trial ends: both are invoiced; the cafe's card pays, the salon's declines
    world.advance_days(3)
    await world.eventually(lambda: world.mails(CAFE, "領収書"))
    assert await world.status_is(cafe, "active")
    # The invoice mail and the card charge are jobs of their own, run side by side: the mail, making its PDF
    # then (when no render job has yet), may come after the receipt.
    [invoice_mail] = await world.eventually(lambda: world.mails(CAFE, "請求書 INV-"))
    assert invoice_mail.cc_addrs == "keiri@example.jp" and invoice_mail.html and "/billing/pay/" in invoice_mail.body
    assert [a["content_type"] for a in attachments_of(invoice_mail)] == ["application/pdf"]
    await world.eventually(lambda: world.status_is(salon, "past_due"))
    await world.eventually(lambda: world.mails(SALON, "お支払いができませんでした"))

    # the cafe's OA is used during its first paid period
    for _ in range(3):
        world.say("予約したい")
    await world.eventually(lambda: world.texts_from_module().count("hello") == 3)

    # the salon never pays: retries on days 1, 3, 5, 7 after the first failure, then restricted
    [first_salon_run, *_] = await world.runs(salon)
    await _retries_then_restricted(world, salon, first_salon_run.invoice_id)
    await world.eventually(lambda: world.mails(SALON, "制限"))

    # ... then the final notice after the grace period, then the provider detaches it
    world.advance_days(14.01)
    await world.eventually(lambda: world.mails(SALON, "最終のご案内"), timeout=60)
    world.advance_days(7.01)
    await world.eventually(lambda: _tenant_state(db, salon, "detached"), timeout=60)
    world.flush()
    await world.eventually(lambda: ("detached", salon) in world.lifecycle_seen)
    # the tenant store applies whichever comes first, the Detach API's answer or the event LINE sends after it
    sub = await subscription(db, salon)
    assert sub.status == "ended" and sub.ended_reason in ("provider_detach", "detached")
    await world.eventually(lambda: ("subscription.ended", salon, sub.ended_reason) in world.billing_seen)

    # meanwhile (or now) the cafe is renewed: its first renewal charges the period and that usage, and is paid
    await _renewed(world, cafe, CollectionStatus.PAID)
    renewal = world.run(world.collection.book.get((await world.runs(cafe))[1].invoice_id or 0))
    assert any("会話" in line.description and line.amount == 30 for line in renewal.lines), renewal.lines

    # the cafe's card is replaced by one that declines; its next renewal fails, is retried, and restricts it
    world.save_card(cafe, DECLINING_CARD)
    failing = await _renewed(world, cafe, CollectionStatus.PAST_DUE)
    assert await world.status_is(cafe, "past_due")
    await _retries_then_restricted(world, cafe, failing.invoice_id)
    assert await world.status_is(salon, "ended")

    # a good card saved on the pay page pays what is open: the cafe is active again, with its receipt
    saved = world.save_card(cafe, GOOD_CARD)
    assert saved["unpaid_invoices"] == []
    await world.eventually(lambda: world.status_is(cafe, "active"))
    assert [r.status for r in await world.runs(cafe)][-1] == CollectionStatus.PAID
    assert ("payment.succeeded", cafe, "payment_succeeded") in world.billing_seen

    _every_document_qualified_with_its_items_in_the_pdf(world)
    await world.eventually(lambda: _webhooks_applied(db))


async def _retries_then_restricted(world: ScenarioWorld, bot_id: str, invoice_id: int | None) -> None:
    await world.eventually(lambda: _attempts_at_least(world, invoice_id, 1))
    for attempt, days in ((2, 1), (3, 2), (4, 2), (5, 2)):
        assert await world.card_attempts(invoice_id) == attempt - 1
        world.advance_days(days)
        await world.eventually(lambda attempt=attempt: _attempts_at_least(world, invoice_id, attempt))
    await world.eventually(lambda: world.status_is(bot_id, "restricted"))
    world.advance_days(0.5)  # nothing is tried after the last retry
    assert await world.card_attempts(invoice_id) == 5


async def _renewed(world: ScenarioWorld, bot_id: str, status: CollectionStatus) -> Any:
    """Move to the OA's period end; wait for the renewal's invoice to reach `status`."""
    before = len(await world.runs(bot_id))
    await world.advance_to_period_end(bot_id)

    async def settled() -> Any:
        runs = await world.runs(bot_id)
        return runs[before] if len(runs) > before and runs[before].status == status else None

    return await world.eventually(settled, timeout=60)


async def _attempts_at_least(world: ScenarioWorld, invoice_id: int | None, count: int) -> bool:
    return await world.card_attempts(invoice_id) >= count


async def _paid_runs(world: ScenarioWorld, bot_id: str, count: int) -> bool:
    return len([r for r in await world.runs(bot_id) if r.status == CollectionStatus.PAID]) >= count


async def _tenant_state(db: Any, bot_id: str, state: str) -> bool:
    async with db.session() as session:
        tenant = await session.get(Tenant, bot_id)
        return tenant is not None and tenant.state == state


async def _webhooks_applied(db: Any) -> bool:
    async with db.session() as session:
        rows = list(await session.scalars(select(StripeWebhookEventRow)))
    return bool(rows) and all(row.applied_at_ms is not None for row in rows)


def _every_document_qualified_with_its_items_in_the_pdf(world: ScenarioWorld) -> None:
    book = world.collection.book  # its database lives in the server's event loop: read it there
    page = world.run(book.search(page_size=200))
    assert not page.has_next
    kinds = set()
    for item in page.items:
        document = world.run(book.get(item.id))
        assert_qualified(document)
        kinds.add(document.kind)
        text = pdf_text(world.run(book.pdf(item.id)))
        recipient = f"{document.recipient.name}{document.recipient.honorific.value}"
        items = [ISSUER.name, ISSUER.registration_number, recipient, "10%対象", "消費税", document.number or "?"]
        missing = [i for i in items if i.replace(" ", "") not in text]
        assert missing == [], f"{document.number}: the PDF does not show {missing}"
    assert {DocumentKind.INVOICE, DocumentKind.RECEIPT} <= kinds
