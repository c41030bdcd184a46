"""The month's collection in batches (`CollectionService.collect_due`, what a collect job runs): one job
invoices every OA whose charges wait, each exactly as `collect` would alone (lines, due date, notes, a payer
reference of its own), numbered without gaps; batches racing each other and single collects on both engines
still make one invoice per OA with every charge marked once; a run whose worker died is finished in a batch."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from linemod.framework.billing.billing_contacts import BillingContact
from linemod.framework.billing.collection import LEASE_MS, IssuedRun
from linemod.framework.billing.collection_records import CollectionRow, CollectionStatus
from linemod.framework.billing.invoicing.documents import Invoice
from linemod.framework.clock import ManualClock
from linemod.framework.storage.database import Database
from linemod.framework.storage.models import OutboxMailRow
from tests.framework.billing.collection.bench import Bench, add_charges, collection_app
from tests.framework.billing.helpers import START
from tests.framework.helpers import Running
from tests.support.localstripe import LocalStripe

OAS = [f"U{n:032x}" for n in range(1, 8)]
ALONE = "U" + "f" * 32


@pytest.fixture
async def bench(db: Database, localstripe: LocalStripe) -> AsyncIterator[Bench]:
    clock = ManualClock(START)
    async with Running(collection_app(db, clock, localstripe)) as run:
        bench = Bench(run, db, clock, localstripe)
        for bot_id in [ALONE, *OAS]:  # attached (a job of an OA needs its tenant), on trial: nothing charged
            await bench.attach(bot_id)
            await bench.service.save_contact(bot_id, BillingContact(f"株式会社テナント{bot_id[-2:]}", mail(bot_id)))
        yield bench


def mail(bot_id: str) -> str:
    return f"keiri-{bot_id[-2:]}@tenant.example"


def serial(number: str | None) -> int:
    assert number is not None
    return int(re.sub(r"\D", "", number))


async def invoice_of(bench: Bench, run: IssuedRun) -> Invoice:
    return await bench.service.book.get(run.invoice_id)


async def test_one_collect_job_invoices_every_waiting_oa_as_each_would_be_alone(bench: Bench) -> None:
    await add_charges(bench.db, ALONE, [3000, 500])
    alone = await bench.service.collect(ALONE)
    assert alone is not None
    reference = await invoice_of(bench, alone)
    for n, bot_id in enumerate(OAS):
        await add_charges(bench.db, bot_id, [3000, 500 + n])

    issued = await bench.service.collect_due(OAS[3])

    assert sorted(run.collection_id for run in issued) == [run.collection_id for run in issued]
    assert {(await bench.runs(bot_id))[0].id for bot_id in OAS} == {run.collection_id for run in issued}
    # Numbered in the batch's order, right after the invoice issued alone, without a gap.
    assert [serial(run.number) for run in issued] == list(range(serial(alone.number) + 1,
                                                                 serial(alone.number) + 1 + len(OAS)))
    references = set()
    for n, bot_id in enumerate(OAS):
        [run] = await bench.runs(bot_id)
        assert run.status == CollectionStatus.OPEN and run.invoice_number is not None
        assert await bench.charge_refs(bot_id) == [run.invoice_number] * 2
        invoice = await bench.service.book.get(run.invoice_id or 0)
        assert not invoice.is_draft and invoice.bot_id == bot_id
        assert invoice.recipient.name == f"株式会社テナント{bot_id[-2:]}"
        assert [(line.quantity, line.unit_price) for line in invoice.lines] == [(1, 3000), (1, 500 + n)]
        assert invoice.total_gross == run.amount_yen == (3000 + 500 + n) * 110 // 100
        # Everything but who and what is as the invoice made alone.
        assert (invoice.issue_date, invoice.due_date, invoice.notes, invoice.transaction_date) == (
            reference.issue_date, reference.due_date, reference.notes, reference.transaction_date)
        assert invoice.payer_reference and invoice.payer_reference != reference.payer_reference
        references.add(invoice.payer_reference)
    assert len(references) == len(OAS)

    # Each run opened as alone: its invoice mail goes out; nothing is left for the OAs' own jobs.
    await bench.send_waiting_mails()
    for bot_id in OAS:
        subjects = await bench.mail_subjects(mail(bot_id))
        assert len(subjects) == 1 and "請求書" in subjects[0], subjects
    assert await bench.service.collect_due(OAS[0]) == []
    assert await bench.service.collect(OAS[5]) is None


async def test_batches_and_single_collects_racing_make_one_invoice_per_oa(bench: Bench) -> None:
    for n, bot_id in enumerate(OAS):
        await add_charges(bench.db, bot_id, [1000 + n, 200, 300])

    results = await asyncio.gather(
        *(bench.service.collect_due(bot_id) for bot_id in reversed(OAS[:4])),
        *(bench.service.collect(bot_id) for bot_id in OAS[3:]),
    )

    issued = [run for result in results for run in (result if isinstance(result, list) else [result]) if run]
    assert sorted(run.collection_id for run in issued) == sorted({run.collection_id for run in issued})
    async with bench.db.session() as session:
        runs = list(await session.scalars(select(CollectionRow).order_by(CollectionRow.id)))
        mails = await session.scalar(select(func.count()).select_from(OutboxMailRow))
    assert sorted(run.bot_id for run in runs) == sorted(OAS)  # no claim left behind, none twice
    assert {run.collection_id for run in issued} == {run.id for run in runs}
    for run in runs:
        assert await bench.charge_refs(run.bot_id) == [run.invoice_number] * 3
    numbers = sorted(serial(run.invoice_number) for run in runs)
    assert numbers == list(range(numbers[0], numbers[0] + len(OAS)))
    assert mails == 0  # mails are the jobs' (run below): one each
    await bench.send_waiting_mails()
    assert [len(await bench.mail_subjects(mail(bot_id))) for bot_id in OAS] == [1] * len(OAS)


async def test_a_run_whose_worker_died_is_finished_with_its_draft_in_a_batch(bench: Bench) -> None:
    await add_charges(bench.db, OAS[0], [4000])
    service = bench.service
    async with bench.db.transaction() as session:  # claimed, then the worker died before making the draft
        [dead] = await service.run._claim_many(session, [OAS[0]], bench.clock.now_ms())
    await add_charges(bench.db, OAS[1], [2500])

    early = await service.collect_due(OAS[0])  # the lease still holds: OA 0 is its worker's
    assert [run.collection_id for run in early] == [(await bench.runs(OAS[1]))[0].id]
    bench.clock.advance(LEASE_MS / 1000 + 1)
    [finished] = await service.collect_due(OAS[0])

    assert finished.collection_id == dead
    [run] = await bench.runs(OAS[0])
    assert run.status == CollectionStatus.OPEN and await bench.charge_refs(OAS[0]) == [finished.number]
    assert (await invoice_of(bench, finished)).total_gross == 4400
