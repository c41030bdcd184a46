"""A collection bench without the emulator: the billing test module (`helpers.billing_app`) with an invoice
issuer and localstripe, run in-process on a manual clock, and readers of what the collection cycle wrote.

Jobs run through the app's real queue (`drain()`); time moves only when a test moves the clock. Stripe's
webhooks reach the receiver fixture and are posted on to the app's own webhook route, as Stripe would."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import date
from typing import Any

from sqlalchemy import func, select, text

from linemod.framework.app import ModuleApp
from linemod.framework.billing.billing_contacts import BillingContact
from linemod.framework.billing.billing_routes import STRIPE_WEBHOOK_PATH
from linemod.framework.billing.collection_records import CollectionRow
from linemod.framework.billing.collection_service import CollectionService
from linemod.framework.billing.lines import BillableLine
from linemod.framework.billing.payments.records import PaymentRow
from linemod.framework.billing.records import BillingChargeRow
from linemod.framework.clock import ManualClock
from linemod.framework.storage.database import Database
from linemod.framework.storage.models import OutboxMailRow
from tests.framework.billing.collection.scenario_world import ISSUER_SETTINGS
from tests.framework.billing.helpers import DAY, billing_app
from tests.framework.helpers import BOT, Running, attached_event
from tests.support.localstripe import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_PATH, WEBHOOK_SECRET, LocalStripe
from tests.support.servers import Received, WebhookReceiver

MAIL = "keiri@cafe.example"
GOOD_CARD = "4242424242424242"
DECLINING_CARD = "4000000000000341"  # saved, then every charge is declined (a soft decline: card_declined)
THREE_D_SECURE_CARD = "4000002500003155"  # every PaymentIntent needs 3-D Secure, off-session too


def collection_app(db: Database, clock: ManualClock, stripe: LocalStripe, **policy: Any) -> ModuleApp:
    """`billing_app` (plan "basic", ¥3,000 a month) invoicing as `ISSUER_SETTINGS`, cards at localstripe."""
    settings = {
        **ISSUER_SETTINGS,
        "stripe_api_key": SECRET_KEY,
        "stripe_publishable_key": PUBLISHABLE_KEY,
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "stripe_api_base": stripe.url,
        "public_base_url": "http://module.test",
    }
    return billing_app(db, clock, settings=settings, **policy)


class Bench:
    def __init__(self, run: Running, db: Database, clock: ManualClock, stripe: LocalStripe) -> None:
        self.run = run
        self.db = db
        self.clock = clock
        self.stripe = stripe

    @property
    def service(self) -> CollectionService:
        billing = self.run.runtime.billing
        assert billing is not None and billing.collection is not None
        return billing.collection

    # ---- driving ----------------------------------------------------------------------------------------

    async def attach(self, bot_id: str = BOT) -> None:
        await self.service.save_contact(bot_id, BillingContact("株式会社カフェさくら", MAIL))
        answer = await self.run.post_webhook([attached_event(bot_id, ts=self.clock.now_ms())], destination=bot_id)
        assert answer.status_code == 200
        await self.run.drain()

    async def save_card(self, bot_id: str = BOT, number: str = GOOD_CARD) -> None:
        """The pay page's card form: a SetupIntent confirmed at localstripe, then recorded."""
        await self.service.save_contact(bot_id, BillingContact("株式会社カフェさくら", MAIL))
        setup = await self.service.start_card_setup(bot_id)
        intent = self.stripe.confirm_card_setup(setup.client_secret, number)
        assert intent.get("status") == "succeeded", intent
        await self.service.save_card(bot_id, setup.setup_id)

    async def advance_days(self, days: float) -> None:
        self.clock.advance(days * DAY)
        await self.run.drain(timeout=30)

    async def advance_to(self, day: date) -> None:
        """To 10:00 on `day` (Japan), then every job due by then."""
        from linemod.framework.billing.periods import start_ms

        target = start_ms(day) + 10 * 3600 * 1000
        assert target >= self.clock.now_ms(), f"{day} is in the past"
        await self.advance_days((target - self.clock.now_ms()) / (DAY * 1000))

    async def send_waiting_mails(self) -> None:
        """The render job's slot ends and it stores the PDFs; the invoice mails that waited for them go."""
        from linemod.framework.billing.collection import RENDER_SLOT_MS
        from linemod.framework.billing.collection_jobs import PDF_WAIT_STEP_MS

        for seconds in (RENDER_SLOT_MS / 1000, PDF_WAIT_STEP_MS / 1000):
            self.clock.advance(seconds)
            await self.run.drain(timeout=60)

    async def forward_stripe_webhooks(self, receiver: WebhookReceiver, event_type: str, object_id: str) -> None:
        """Wait (bounded) for localstripe's webhook `event_type` about `object_id` (it sends them a second
        after the change), post it to the app's Stripe route as it came, and run what it schedules."""
        [webhook] = await _wait_for_webhook(receiver, event_type, object_id)
        answer = await self.run.http.post(
            STRIPE_WEBHOOK_PATH, content=webhook.raw,
            headers={"stripe-signature": webhook.headers["stripe-signature"], "content-type": "application/json"},
        )
        assert answer.status_code == 200, answer.text
        await self.run.drain(timeout=30)

    # ---- reading ----------------------------------------------------------------------------------------

    async def runs(self, bot_id: str = BOT) -> list[CollectionRow]:
        async with self.db.session() as session:
            return list(await session.scalars(
                select(CollectionRow).where(CollectionRow.bot_id == bot_id).order_by(CollectionRow.id)))

    async def payments(self, invoice_id: int | None) -> list[PaymentRow]:
        async with self.db.session() as session:
            return list(await session.scalars(
                select(PaymentRow).where(PaymentRow.invoice_id == str(invoice_id)).order_by(PaymentRow.attempt)))

    async def charge_refs(self, bot_id: str = BOT) -> list[str | None]:
        async with self.db.session() as session:
            return list(await session.scalars(
                select(BillingChargeRow.invoice_ref).where(BillingChargeRow.bot_id == bot_id)
                .order_by(BillingChargeRow.id)))

    async def mail_subjects(self, to: str = MAIL) -> list[str]:
        async with self.db.session() as session:
            return list(await session.scalars(
                select(OutboxMailRow.subject).where(OutboxMailRow.to_addr == to).order_by(OutboxMailRow.id)))

    async def card_charges_at_stripe(self, bot_id: str = BOT) -> tuple[int, int]:
        """(PaymentIntents, charges) localstripe holds for the OA's customer."""
        customer = await self.service.cards.customer_id(bot_id) if self.service.cards else ""
        intents = self.stripe.get("/v1/payment_intents", limit=100)["data"]
        return len([i for i in intents if i.get("customer") == customer]), len(self.stripe.charges(customer))


async def add_charges(db: Database, bot_id: str, amounts_yen: list[int]) -> None:
    """Pending charges written straight into the ledger's table, as the subscription side leaves them, but
    with no collect job scheduled: the test decides who collects, and when."""
    async with db.transaction() as session:
        total = await session.scalar(select(func.count()).select_from(BillingChargeRow))
        for index, yen in enumerate(amounts_yen, start=int(total or 0)):
            line = BillableLine(f"追加料金 {index}", f"Extra {index}", 1, yen, 10)
            await session.execute(
                text("INSERT INTO billing_charges (bot_id, charge_key, reason, lines_json, subtotal_yen, "
                     "created_at_ms) VALUES (:bot, :key, 'test', :lines, :yen, 0)"),
                {"bot": bot_id, "key": f"test:{bot_id}:{index}", "lines": json.dumps([line.to_json()]), "yen": yen},
            )


async def _wait_for_webhook(receiver: WebhookReceiver, event_type: str, object_id: str) -> list[Received]:
    deadline = time.monotonic() + 15
    while True:
        found = [
            r for r in list(receiver.received)
            if r.path == WEBHOOK_PATH and r.body.get("type") == event_type
            and r.body["data"]["object"].get("id") == object_id
        ]
        if found or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)
