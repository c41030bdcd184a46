"""The collection cycle at run time: the invoice book, card payments and bank transfers, the collection run,
dunning and settlement, the pay-now links and the mails, built from the settings when billing starts.

Who issues the invoices is the deployment's choice, not the module author's: the provider running the module
(its name, `T` number, address and bank account) is in `Settings` (`LINEMOD_BILLING_ISSUER_*`,
`LINEMOD_BILLING_BANK_*`), as are the dunning days; what is sold and the billing policy stay in code
(`app.billing`). Without an issuer name there is no collection: charges wait in the ledger.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.accounts.mailer import Attachment, Mailer, mailer_for
from linemod.framework.billing.billing_contacts import BillingContact, contact_of, save_contact
from linemod.framework.billing.changes import SubscriptionChanges
from linemod.framework.billing.collection import COLLECT_BATCH, COLLECT_JOB, CollectionRun, IssuedRun
from linemod.framework.billing.collection_records import CollectionRow
from linemod.framework.billing.dunning_steps import DunningSteps
from linemod.framework.billing.invoicing.book import InvoiceBook
from linemod.framework.billing.invoicing.documents import BankAccount, Issuer
from linemod.framework.billing.invoicing.records import InvoiceRow
from linemod.framework.billing.invoicing.rendering import InvoiceRenderer, LazyPdfPool
from linemod.framework.billing.ledger import Ledger
from linemod.framework.billing.notice_mails import NoticeFacts, notice_mail
from linemod.framework.billing.pay_links import PayLinks
from linemod.framework.billing.payments.bank_transfer import BankTransfers
from linemod.framework.billing.payments.card_payments import CardPayments
from linemod.framework.billing.payments.dunning import RetrySchedule
from linemod.framework.billing.payments.provider import BillingProfile, CardSetup, PaymentProvider, SavedPaymentMethod
from linemod.framework.billing.payments.stripe_adapter import StripeProvider
from linemod.framework.billing.records import BillingChargeRow
from linemod.framework.billing.settlement import Settlement
from linemod.framework.clock import Clock
from linemod.framework.settings import Settings
from linemod.framework.storage.database import Database

log = logging.getLogger("linemod.billing")


def issuer_from(settings: Settings) -> Issuer | None:
    """The invoices' issuer as the settings declare it; None when no issuer name is set."""
    if not settings.billing_issuer_name:
        return None
    bank = None
    if settings.billing_bank_name:
        bank = BankAccount(
            settings.billing_bank_name,
            settings.billing_bank_branch,
            settings.billing_bank_account_number,
            settings.billing_bank_account_holder,
            settings.billing_bank_account_type,
        )
    return Issuer(
        name=settings.billing_issuer_name,
        registration_number=settings.billing_issuer_registration_number,
        address=settings.billing_issuer_address,
        contact=settings.billing_issuer_contact,
        bank_account=bank,
        sole_proprietor=settings.billing_issuer_sole_proprietor,
    )


class CollectionService:
    """`runtime.billing.collection`: everything from a charge to the money (or the detach)."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        settings: Settings,
        ledger: Ledger,
        changes: SubscriptionChanges,
        issuer: Issuer,
        provider: PaymentProvider | None = None,
        mailer: Mailer | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.ledger = ledger
        # Every PDF of this service (the render job's, and those a mail or a download makes on demand) is made
        # in one pool of processes, started at the first and stopped by `aclose()`: their CPU (WeasyPrint's,
        # the render job's Chromium's) then neither blocks the event loop nor competes for its GIL.
        self.pdf_executor = LazyPdfPool(settings.billing_pdf_workers or None)
        renderer = InvoiceRenderer(executor=self.pdf_executor, browser=settings.billing_pdf_browser)
        self.book = InvoiceBook(db, clock, issuer, renderer=renderer, pdf_on_issue=settings.billing_pdf_on_issue)
        self.provider = provider
        self.cards = CardPayments(db, provider, clock) if provider is not None else None
        self.transfers = BankTransfers(db, clock)
        self.run = CollectionRun(
            db, clock, ledger, self.book, self.transfers, card_provider=provider.name if provider else None
        )
        self.dunning = DunningSteps(
            db, clock, ledger, changes, self.cards,
            retries=RetrySchedule(tuple(settings.billing_retry_days)),
            grace_days=settings.billing_grace_days,
            final_notice_days=settings.billing_final_notice_days,
        )
        self.settlement = Settlement(db, clock, ledger, changes, self.book, self.cards, self.transfers, self.dunning)
        self.changes = changes
        self.links = PayLinks(settings.signing_secret, clock, settings.public_base_url,
                              valid_days=settings.billing_payment_link_days)
        self.mailer = mailer or mailer_for(settings, db, clock)
        ledger.on_charge = self._schedule_collection

    @classmethod
    def from_settings(
        cls, settings: Settings, db: Database, clock: Clock, ledger: Ledger, changes: SubscriptionChanges
    ) -> CollectionService | None:
        issuer = issuer_from(settings)
        if issuer is None:
            log.warning("no invoice issuer (LINEMOD_BILLING_ISSUER_NAME): charges are recorded, not invoiced")
            return None
        provider = StripeProvider.from_settings(settings) if settings.stripe_api_key else None
        return cls(db=db, clock=clock, settings=settings, ledger=ledger, changes=changes, issuer=issuer,
                   provider=provider)

    async def aclose(self) -> None:
        if self.provider is not None:
            await self.provider.aclose()
        # Waits for PDFs being made (each is stored, or made again on demand); off the loop, as it blocks.
        await asyncio.to_thread(self.pdf_executor.shutdown)

    async def _schedule_collection(self, session: AsyncSession, bot_id: str, charge_key: str) -> None:
        await self.ledger.schedule(session, COLLECT_JOB, {}, key=f"billing:collect:{charge_key}", bot_id=bot_id)

    async def collect(self, bot_id: str) -> IssuedRun | None:
        """Invoice the OA's pending charges now."""
        return await self.run.collect(bot_id)

    async def collect_due(self, bot_id: str) -> list[IssuedRun]:
        """What a collect job runs: the OA's pending charges invoiced, and with them those of up to
        `COLLECT_BATCH` - 1 other OAs whose charges wait too. The month's renewals make one collect job per OA
        at once; the first jobs issue every invoice in batches, the rest find their OA's charges invoiced.
        The others are taken from a random point of the OAs in bot ID order, so that the jobs a worker runs
        at the same time mostly take different OAs (an OA two batches take is claimed by one of them)."""
        start = "U" + secrets.token_hex(16)
        async with self.db.session() as session:
            others: list[str] = []
            for after_start in (True, False):  # from the random point to the end, then from the beginning
                wanted = COLLECT_BATCH - 1 - len(others)
                if wanted <= 0:
                    break
                side = BillingChargeRow.bot_id >= start if after_start else BillingChargeRow.bot_id < start
                others += await session.scalars(
                    select(BillingChargeRow.bot_id)
                    .where(BillingChargeRow.invoice_ref.is_(None), BillingChargeRow.bot_id != bot_id, side)
                    .distinct()
                    .order_by(BillingChargeRow.bot_id)
                    .limit(wanted)
                )
        return await self.run.collect_many([bot_id, *others])

    # ---- the operator's side: billing profile and card --------------------------------------------------

    async def save_contact(self, bot_id: str, contact: BillingContact) -> None:
        async with self.db.transaction() as session:
            await save_contact(session, bot_id, contact, self.clock.now_ms())

    async def start_card_setup(self, bot_id: str) -> CardSetup:
        """A card form for the OA (its customer at the provider made first, from its billing profile)."""
        if self.cards is None:
            raise RuntimeError("card payments need LINEMOD_STRIPE_API_KEY")
        async with self.db.session() as session:
            contact = await contact_of(session, bot_id)
        name = contact.company_name if contact else bot_id
        await self.cards.ensure_customer(bot_id, BillingProfile(name, contact.email if contact else ""))
        return await self.cards.start_card_setup(bot_id)

    async def save_card(self, bot_id: str, setup_id: str) -> SavedPaymentMethod:
        """The card form succeeded: the card becomes the OA's default, the account can pay by card, and every
        unpaid invoice of the OA is charged to it now (replacing a declined card settles what failed)."""
        if self.cards is None:
            raise RuntimeError("card payments need LINEMOD_STRIPE_API_KEY")
        card = await self.cards.record_card(bot_id, setup_id)
        async with self.db.transaction() as session:
            await self.changes.set_payment_method(session, bot_id, "card")
        await self.settlement.pay_open_invoices_by_card(bot_id)
        return card

    # ---- mail -------------------------------------------------------------------------------------------

    async def notice_waits_for_pdf(self, payload: dict[str, Any], wait_ms: int) -> bool:
        """Whether notice `payload` is an invoice mail whose PDF the render job scheduled with the run's opening
        has not stored yet, issued less than `wait_ms` ago (receipts are issued one at a time, at settlement:
        their mail makes the PDF)."""
        run_id = payload.get("collection_id")
        if payload["kind"] != "invoice" or run_id is None or self.book.pdf_on_issue:
            return False
        async with self.db.session() as session:
            run = await session.get(CollectionRow, int(run_id))
            if run is None or run.invoice_id is None:
                return False
            waiting = await session.scalar(
                select(InvoiceRow.id).where(
                    InvoiceRow.id == run.invoice_id,
                    InvoiceRow.pdf.is_(None),
                    InvoiceRow.finalized_at_ms > self.clock.now_ms() - wait_ms,
                )
            )
        return waiting is not None

    async def send_notice(self, bot_id: str, payload: dict[str, Any]) -> bool:
        """Mail notice `payload["kind"]` to the OA's billing email; False when it has none."""
        kind = str(payload["kind"])
        async with self.db.session() as session:
            contact = await contact_of(session, bot_id)
            run_id = payload.get("collection_id")
            run = await session.get(CollectionRow, int(run_id)) if run_id is not None else None
        if contact is None or not contact.email:
            log.warning("OA %s has no billing email: its %s notice is not mailed", bot_id, kind)
            return False
        document, attachment = None, None
        if run is not None and run.invoice_id is not None:
            document_id = run.receipt_id if kind == "receipt" and run.receipt_id else run.invoice_id
            document = await self.book.get(document_id)
            if kind in ("invoice", "receipt"):
                pdf = await self.book.pdf(document_id)
                attachment = Attachment(f"{document.number}.pdf", "application/pdf", pdf)
        invoice_id = run.invoice_id if run is not None else None
        facts = NoticeFacts(kind, contact, self.book.issuer.name, self.links.url(bot_id, invoice_id), document,
                            {k: v for k, v in payload.items() if k not in ("kind", "collection_id", "pdf_waits")})
        await self.mailer.send(notice_mail(facts, attachment))
        return True
