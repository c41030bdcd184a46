"""The collection cycle's jobs, registered on every `ModuleApp` next to billing's own (`jobs.py`); they do
nothing unless a collection is configured (an invoice issuer). Each leaves its job's session (`jctx.db`)
untouched and commits in short transactions of its own: the invoice book and card payments call out (to
WeasyPrint, to Stripe) between those, and on SQLite no lock is then held while they do.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text, update

from linemod.framework.billing.collection import (
    COLLECT_JOB,
    DUNNING_JOB,
    NOTICE_JOB,
    RENDER_PDFS_JOB,
    schedule_pdf_rendering,
)
from linemod.framework.billing.collection_records import StripeWebhookEventRow
from linemod.framework.billing.dunning_steps import DETACH
from linemod.framework.billing.invoicing.records import InvoiceRow
from linemod.framework.billing.payment_event_json import event_from_json
from linemod.framework.billing.payments.dunning import cards_expiring
from linemod.framework.billing.periods import day_of
from linemod.framework.billing.records import BillingChargeRow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from linemod.framework.app import ModuleApp
    from linemod.framework.billing.collection_service import CollectionService
    from linemod.framework.context import JobContext

log = logging.getLogger("linemod.billing")
PAYMENT_EVENT_JOB = "linemod.billing.payment_event"
CARD_EXPIRY_JOB = "linemod.billing.card_expiry"
PDF_WAIT_STEP_MS = 10_000
PDF_WAIT_MS = 600_000
"""An invoice mail waits for the render job to store its PDF, looking every `PDF_WAIT_STEP_MS`, until
`PDF_WAIT_MS` after the invoice was issued; then it makes the PDF itself (as when the book makes PDFs on
issue)."""
RENDER_BATCH = 800
"""PDFs per job round: four print batches of `pdf_files.PRINT_BATCH`, two for each process of a two-core
pool, so that a process finishing one starts the next while the round's other results are stored (~6 s of
CPU in all)."""
INSERT_WEBHOOK = (
    "INSERT INTO stripe_webhook_events (event_id, kind, event_json, received_at_ms) "
    "VALUES (:event_id, :kind, :event_json, :now) ON CONFLICT (event_id) DO NOTHING"
)


def register_collection_jobs(app: ModuleApp) -> None:
    def collection() -> CollectionService | None:
        runtime = app.runtime
        return runtime.billing.collection if runtime is not None and runtime.billing is not None else None

    def bot_of(jctx: JobContext) -> str:
        if jctx.tenant is None:
            raise RuntimeError(f"billing job {jctx.name} has no OA")
        return jctx.tenant.bot_id

    async def collect(jctx: JobContext, _payload: dict[str, Any]) -> None:
        service = collection()
        if service is not None:
            await service.collect_due(bot_of(jctx))

    async def dunning(jctx: JobContext, payload: dict[str, Any]) -> None:
        service = collection()
        if service is None:
            return
        run_id, step = int(payload["collection_id"]), str(payload["step"])
        if step == "settle_free":
            await service.settlement.settle_paid(run_id, "none")
        elif await service.dunning.run_step(run_id, step, payload) == DETACH:
            await app.detach(bot_of(jctx))

    async def notice(jctx: JobContext, payload: dict[str, Any]) -> None:
        service = collection()
        if service is None:
            return
        waits = int(payload.get("pdf_waits", 0))
        if await service.notice_waits_for_pdf(payload, PDF_WAIT_MS):
            # The render job makes this invoice's PDF in a batch soon: mailing now would make it alone (at the
            # month's run, thousands of single renders beside the batches). Look again a little later.
            async with service.db.transaction() as session:
                await service.ledger.schedule(
                    session, NOTICE_JOB, {**payload, "pdf_waits": waits + 1},
                    key=f"billing:notice:{payload['kind']}:{payload.get('collection_id')}:pdf-wait:{waits + 1}",
                    bot_id=bot_of(jctx), run_at_ms=jctx.now_ms() + PDF_WAIT_STEP_MS,
                )
            return
        await service.send_notice(bot_of(jctx), payload)

    async def payment_event(jctx: JobContext, payload: dict[str, Any]) -> None:
        service = collection()
        if service is None:
            return
        event_id = str(payload["event_id"])
        async with service.db.session() as session:
            row = await session.get(StripeWebhookEventRow, event_id)
        if row is None or row.applied_at_ms is not None:
            return
        await service.settlement.apply_payment_event(event_from_json(row.event_json))
        async with service.db.transaction() as session:
            await session.execute(
                update(StripeWebhookEventRow)
                .where(StripeWebhookEventRow.event_id == event_id)
                .values(applied_at_ms=service.clock.now_ms())
            )

    async def card_expiry(jctx: JobContext, _payload: dict[str, Any]) -> None:
        service = collection()
        if service is None:
            return
        today = day_of(jctx.now_ms())
        expiring = await cards_expiring(service.db, today, within_days=service.settings.billing_card_expiry_notice_days)
        async with service.db.transaction() as session:
            for bot_id, card in expiring:
                label = f"{card.brand} •••• {card.last4} ({card.exp_month:02d}/{card.exp_year})"
                await service.ledger.schedule(
                    session, NOTICE_JOB, {"kind": "card_expiring", "card": label},
                    key=f"billing:notice:card_expiring:{bot_id}:{card.payment_method_id}:{today:%Y-%m}",
                    bot_id=bot_id,
                )

    async def render_pdfs(jctx: JobContext, payload: dict[str, Any]) -> None:
        service = collection()
        if service is None:
            return
        if await service.book.render_pending_pdfs(limit=RENDER_BATCH) < RENDER_BATCH:
            return
        # A full batch: more may wait. The next round is a job of its own (not a loop here) so that the
        # worker's other jobs, the invoice run's among them, are not held up behind thousands of PDFs.
        slot, next_round = payload.get("slot"), int(payload.get("round", 0)) + 1
        async with service.db.transaction() as session:
            await service.ledger.schedule(
                session, RENDER_PDFS_JOB, {"slot": slot, "round": next_round},
                key=f"billing:render_pdfs:{slot}:{next_round}", bot_id=None,
            )

    for name, handler in (
        (COLLECT_JOB, collect),
        (RENDER_PDFS_JOB, render_pdfs),
        (DUNNING_JOB, dunning),
        (NOTICE_JOB, notice),
        (PAYMENT_EVENT_JOB, payment_event),
        (CARD_EXPIRY_JOB, card_expiry),
    ):
        app.job(name)(handler)


async def store_webhook_events(service: CollectionService, raw_body: bytes, signature: str | None) -> int:
    """Verify a Stripe webhook on its raw bytes (`WebhookSignatureError` if it does not check out), keep each
    payment event it carries once by Stripe's event id, and schedule its application; how many were new."""
    from linemod.framework.billing.payment_event_json import event_to_json

    assert service.provider is not None
    events = service.provider.parse_webhook(raw_body, signature)
    new = 0
    async with service.db.transaction() as session:
        for event in events:
            values = {"event_id": event.event_id, "kind": type(event).__name__, "event_json": event_to_json(event),
                      "now": service.clock.now_ms()}
            if (await session.execute(text(INSERT_WEBHOOK), values)).rowcount:  # type: ignore[attr-defined]
                new += 1
                await service.ledger.schedule(
                    session, PAYMENT_EVENT_JOB, {"event_id": event.event_id},
                    key=f"billing:payment_event:{event.event_id}", bot_id=None,
                )
    return new


async def schedule_pending_collections(service: CollectionService, session: AsyncSession) -> None:
    """The sweep's part: a collect job for every OA with charges not invoiced yet (written before an issuer
    was configured, or whose job was lost), keyed by the day so the sweep adds at most one a day."""
    bots = await session.scalars(
        select(BillingChargeRow.bot_id).where(BillingChargeRow.invoice_ref.is_(None)).distinct()
    )
    day = day_of(service.clock.now_ms()).isoformat()
    for bot_id in bots:
        await service.ledger.schedule(session, COLLECT_JOB, {}, key=f"billing:collect:sweep:{bot_id}:{day}",
                                      bot_id=bot_id)
    if not service.book.pdf_on_issue:
        await _schedule_missing_pdfs(service, session)


async def _schedule_missing_pdfs(service: CollectionService, session: AsyncSession) -> None:
    """Documents issued with no `render_pdfs` job after them (receipts and return invoices issued on
    settlement, or a job that found its slot's last document not yet committed) get one from the sweep."""
    missing = await session.scalar(
        select(InvoiceRow.id)
        .where(InvoiceRow.provider == service.book.provider, InvoiceRow.pdf.is_(None), InvoiceRow.html.is_not(None))
        .limit(1)
    )
    if missing is not None:
        await schedule_pdf_rendering(service.ledger, session, service.clock.now_ms())
