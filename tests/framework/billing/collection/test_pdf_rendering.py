"""PDFs after the invoice run, on both engines, through the collection's real configuration (its process pool,
`billing_pdf_on_issue` off): the collect job stores the issued invoice's HTML only, the `render_pdfs` job makes
its PDF afterwards, the invoice mail waits for that PDF (and makes it itself when no job came in 10 minutes), and the
sweep gives a document left without its PDF and without a job a new job."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Row, delete, select

from linemod.framework.billing.billing_contacts import BillingContact
from linemod.framework.billing.collection import RENDER_PDFS_JOB, RENDER_SLOT_MS
from linemod.framework.billing.collection_jobs import PDF_WAIT_MS, PDF_WAIT_STEP_MS, schedule_pending_collections
from linemod.framework.billing.invoicing.records import InvoiceRow
from linemod.framework.clock import ManualClock
from linemod.framework.storage.database import Database
from linemod.framework.storage.models import JobRow, OutboxMailRow
from tests.framework.billing.builders import ISSUER, assert_qualified
from tests.framework.billing.collection.bench import MAIL, Bench, collection_app
from tests.framework.billing.collection.scenario_world import attachments_of, pdf_text
from tests.framework.billing.helpers import START
from tests.framework.helpers import BOT, Running, attached_event
from tests.support.localstripe import LocalStripe

PDF_START_S = 60  # the first PDF spawns the pool and loads WeasyPrint in each process


@pytest.fixture
async def bench(db: Database, localstripe: LocalStripe) -> AsyncIterator[Bench]:
    clock = ManualClock(START)
    async with Running(collection_app(db, clock, localstripe, trial_days=0)) as run:
        yield Bench(run, db, clock, localstripe)


async def attach_with(bench: Bench, email: str) -> None:
    await bench.service.save_contact(BOT, BillingContact("株式会社カフェさくら", email))
    answer = await bench.run.post_webhook([attached_event(BOT, ts=bench.clock.now_ms())], destination=BOT)
    assert answer.status_code == 200
    await bench.run.drain(timeout=PDF_START_S)


async def invoice_row(db: Database) -> Row[tuple[int, str | None, str | None, bytes | None]]:
    """The invoice's id, number, HTML and PDF (the files are deferred columns: read here, by name)."""
    async with db.session() as session:
        [row] = (
            await session.execute(
                select(InvoiceRow.id, InvoiceRow.number, InvoiceRow.html, InvoiceRow.pdf).where(
                    InvoiceRow.kind == "invoice"
                )
            )
        ).all()
        return row


async def render_jobs(db: Database) -> list[JobRow]:
    async with db.session() as session:
        return list(await session.scalars(select(JobRow).where(JobRow.name == RENDER_PDFS_JOB)))


def assert_mandatory_items(pdf: bytes, number: str) -> None:
    text = pdf_text(pdf)
    items = [ISSUER.name, ISSUER.registration_number, "株式会社カフェさくら御中", "10%対象", "消費税", number]
    assert [i for i in items if i.replace(" ", "") not in text] == []


async def test_the_run_stores_the_invoice_without_its_pdf_and_the_render_job_stores_it(
    bench: Bench, db: Database
) -> None:
    assert not bench.service.book.pdf_on_issue
    await attach_with(bench, "")  # no billing email: no mail makes the PDF on demand
    row = await invoice_row(db)
    assert row.number is not None and row.html is not None and row.pdf is None
    [job] = await render_jobs(db)
    assert job.status == "pending" and job.run_at_ms > bench.clock.now_ms()

    bench.clock.advance(RENDER_SLOT_MS / 1000)
    await bench.run.drain(timeout=PDF_START_S)

    assert [j.status for j in await render_jobs(db)] == ["done"]
    row = await invoice_row(db)
    assert row.pdf is not None and bench.service.pdf_executor.started
    assert_qualified(await bench.service.book.get(row.id))
    assert_mandatory_items(row.pdf, row.number or "?")


async def mails_to(db: Database, address: str) -> list[OutboxMailRow]:
    async with db.session() as session:
        return list(await session.scalars(select(OutboxMailRow).where(OutboxMailRow.to_addr == address)))


async def test_the_invoice_mail_waits_for_the_render_job_and_carries_its_pdf(bench: Bench, db: Database) -> None:
    await attach_with(bench, MAIL)
    [job] = await render_jobs(db)
    assert job.status == "pending"  # its slot has not ended, and the mail waits for it
    assert await mails_to(db, MAIL) == [] and (await invoice_row(db)).pdf is None

    bench.clock.advance(RENDER_SLOT_MS / 1000)
    await bench.run.drain(timeout=PDF_START_S)
    assert [j.status for j in await render_jobs(db)] == ["done"]
    row = await invoice_row(db)
    assert row.pdf is not None
    bench.clock.advance(PDF_WAIT_STEP_MS / 1000)
    await bench.run.drain(timeout=PDF_START_S)

    [mail] = await mails_to(db, MAIL)
    [attachment] = attachments_of(mail)
    assert attachment["content_type"] == "application/pdf"
    assert attachment["sha256"] == hashlib.sha256(row.pdf).hexdigest()  # the render job's file
    assert_mandatory_items(row.pdf, row.number or "?")


async def test_an_invoice_mail_whose_render_job_never_comes_makes_the_pdf_after_ten_minutes(
    bench: Bench, db: Database
) -> None:
    await attach_with(bench, MAIL)
    async with db.transaction() as session:  # lost (the sweep would give it a new one: not run here)
        await session.execute(delete(JobRow).where(JobRow.name == RENDER_PDFS_JOB))

    for _ in range(PDF_WAIT_MS // PDF_WAIT_STEP_MS):
        assert await mails_to(db, MAIL) == []
        bench.clock.advance(PDF_WAIT_STEP_MS / 1000)
        await bench.run.drain(timeout=PDF_START_S)

    [mail] = await mails_to(db, MAIL)
    [attachment] = attachments_of(mail)
    row = await invoice_row(db)
    assert row.pdf is not None  # made for the mail, from the HTML stored at issue, and kept
    assert attachment["sha256"] == hashlib.sha256(row.pdf).hexdigest()
    assert_mandatory_items(row.pdf, row.number or "?")


async def test_the_sweep_schedules_a_render_job_for_a_document_left_without_its_pdf(
    bench: Bench, db: Database
) -> None:
    await attach_with(bench, "")
    [job] = await render_jobs(db)
    async with db.transaction() as session:  # as if the run's job were lost
        await session.execute(delete(JobRow).where(JobRow.id == job.id))
    bench.clock.advance(RENDER_SLOT_MS / 1000)
    async with db.transaction() as session:
        await schedule_pending_collections(bench.service, session)
    [again] = await render_jobs(db)
    bench.clock.advance(RENDER_SLOT_MS / 1000)
    await bench.run.drain(timeout=PDF_START_S)
    assert [j.status for j in await render_jobs(db)] == ["done"] and again.key != job.key
    assert (await invoice_row(db)).pdf is not None
