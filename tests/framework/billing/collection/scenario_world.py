"""The world of the collection scenario: the emulator (and its clock), a module that sells a plan with a
usage charge, served on loopback against localstripe, and readers of what billing wrote and mailed."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
from linebot.v3.messaging import TextMessage
from sqlalchemy import func, select

from linemod.framework.app import ModuleApp
from linemod.framework.billing.billing_routes import STRIPE_WEBHOOK_PATH
from linemod.framework.billing.catalog import Price, UsageCharge
from linemod.framework.billing.collection_records import CollectionRow
from linemod.framework.billing.collection_service import CollectionService
from linemod.framework.billing.events import BillingEvent
from linemod.framework.billing.payments.dunning import DAY_MS
from linemod.framework.billing.payments.records import PaymentRow
from linemod.framework.billing.periods import start_ms
from linemod.framework.billing.records import BillingSubscriptionRow
from linemod.framework.settings import Settings
from linemod.framework.storage.models import OutboxMailRow
from linemod_reservation.clock import FollowingClock
from tests.framework.billing.builders import ISSUER
from tests.framework.billing.helpers import subscription
from tests.framework.helpers import wait_for
from tests.framework.test_e2e_emulator import World
from tests.support.localstripe import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET, LocalStripe

T = TypeVar("T")
GOOD_CARD = "4242424242424242"
DECLINING_CARD = "4000000000000341"  # localstripe saves it, then declines every charge
ISSUER_SETTINGS = {
    "billing_issuer_name": ISSUER.name,
    "billing_issuer_registration_number": ISSUER.registration_number,
    "billing_issuer_address": ISSUER.address,
    "billing_bank_name": "みずほ銀行",
    "billing_bank_branch": "丸の内支店",
    "billing_bank_account_number": "1234567",
    "billing_bank_account_holder": "カ)リンクモッド",
    "billing_quota_interval_seconds": 0,
    "billing_sweep_interval_seconds": 0,
}


class ScenarioWorld(World):
    """`World` (emulator, module channel, one OA and a person) with billing, localstripe and a second OA."""

    def __init__(self, emulator_url: str, db: Any, stripe: LocalStripe) -> None:
        self.clock = FollowingClock()
        self.stripe = stripe
        self.lifecycle_seen: list[tuple[str, str]] = []
        self.billing_seen: list[tuple[str, str, str | None]] = []
        super().__init__(emulator_url, db, module=self._module)
        self.first_bot = self.bot_id
        stripe.reset()
        stripe.send_webhooks_to(self.base + STRIPE_WEBHOOK_PATH, WEBHOOK_SECRET)

    def _module(self, settings: Settings) -> ModuleApp:
        settings = settings.model_copy(
            update={
                **ISSUER_SETTINGS,
                "stripe_api_key": SECRET_KEY,
                "stripe_publishable_key": PUBLISHABLE_KEY,
                "stripe_webhook_secret": WEBHOOK_SECRET,
                "stripe_api_base": self.stripe.url,
            }
        )
        app = ModuleApp(settings, clock=self.clock)
        app.billing.meter("conversation.turns", aggregation="count", name_ja="会話", name_en="Conversations")
        app.billing.plan(
            "standard", name_ja="スタンダード", name_en="Standard", prices=[Price.monthly(5000)],
            usage=[UsageCharge.per_unit("conversation.turns", 10)], entitlements=["chat"],
        )

        @app.on_message()
        async def answer(ctx: Any, event: Any) -> None:
            await ctx.meter("conversation.turns")
            await ctx.reply(TextMessage(text="hello"))

        @app.on_lifecycle("detached")
        async def detached(ctx: Any, event: Any) -> None:
            self.lifecycle_seen.append(("detached", ctx.bot_id))

        @app.on_billing("subscription.ended", "subscription.restricted", "payment.failed", "payment.succeeded")
        async def billing_event(jctx: Any, event: BillingEvent) -> None:
            self.billing_seen.append((event.type, event.bot_id, event.reason))

        return app

    # ---- driving ----------------------------------------------------------------------------------------

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine in the server's event loop (where the app's database and clients live)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.server_loop()).result(60)

    @property
    def collection(self) -> CollectionService:
        runtime = self.app.runtime
        assert runtime is not None and runtime.billing is not None and runtime.billing.collection is not None
        return runtime.billing.collection

    def attach_another_oa(self, display_name: str) -> str:
        """Make a second OA in the emulator and attach the module to it as its admin would."""
        account = self.control("POST", "/_emulator/accounts", 201, json={"display_name": display_name})
        first = self.bot_id
        self.bot_id = account["bot_id"]
        try:
            self.attach()
        finally:
            self.bot_id = first
        return str(account["bot_id"])

    def advance_days(self, days: float) -> None:
        """Move the emulator's clock on, and the module's with it."""
        moved = self.control("POST", "/_emulator/clock/advance", json={"seconds": int(days * 86_400)})
        self.clock.catch_up(int(moved["now_ms"]))

    async def advance_to_period_end(self, bot_id: str) -> None:
        sub = await subscription(self.db, bot_id)
        assert sub.period_end is not None
        self.advance_days((start_ms(sub.period_end) - self.clock.now_ms()) / DAY_MS + 1 / 24)

    def save_card(self, bot_id: str, number: str) -> dict[str, Any]:
        """The pay-now page's card form, as Stripe.js runs it: a SetupIntent confirmed with `number`."""
        path = httpx.URL(self.collection.links.url(bot_id)).path
        setup = self.browser.post(f"{path}/card-setup")
        assert setup.status_code == 200, setup.text
        intent = self.stripe.confirm_card_setup(setup.json()["client_secret"], number)
        assert intent.get("status") == "succeeded", intent
        saved = self.browser.post(f"{path}/card", json={"setup_id": setup.json()["setup_id"]})
        assert saved.status_code == 200, saved.text
        return dict(saved.json())

    # ---- reading ----------------------------------------------------------------------------------------

    async def status_is(self, bot_id: str, status: str) -> bool:
        async with self.db.session() as session:
            row = await session.get(BillingSubscriptionRow, bot_id)
            return row is not None and row.status == status

    async def mails(self, to: str, subject_part: str = "") -> list[OutboxMailRow]:
        async with self.db.session() as session:
            rows = await session.scalars(select(OutboxMailRow).where(OutboxMailRow.to_addr == to)
                                         .order_by(OutboxMailRow.id))
            return [row for row in rows if subject_part in row.subject]

    async def runs(self, bot_id: str) -> list[CollectionRow]:
        async with self.db.session() as session:
            return list(await session.scalars(
                select(CollectionRow).where(CollectionRow.bot_id == bot_id).order_by(CollectionRow.id)))

    async def card_attempts(self, invoice_id: int | None) -> int:
        async with self.db.session() as session:
            count = await session.scalar(
                select(func.count()).select_from(PaymentRow).where(PaymentRow.invoice_id == str(invoice_id)))
            return int(count or 0)

    async def eventually(self, predicate: Any, timeout: float = 30.0) -> Any:
        return await wait_for(predicate, timeout=timeout, interval=0.1)


def attachments_of(mail: OutboxMailRow) -> list[dict[str, Any]]:
    return list(json.loads(mail.attachments_json or "[]"))


def pdf_text(pdf: bytes) -> str:
    extracted = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return re.sub(r"\s+", "", extracted.decode())
