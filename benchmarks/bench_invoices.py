"""An invoice run for N tenants (what `billing.py` measures second): every invoice issued, and every PDF made
beside it in a process pool, with wall time and CPU, next to references measured in the same run.

The run is what a monthly billing job does with `InvoiceBook(pdf_on_issue=False)`: one draft per tenant
(a monthly fee and a usage line), in batches of `ISSUE_BATCH` created together (`create_drafts`) and issued
together (`finalize_many`: numbered, checked, HTML rendered and stored, logged). Once a batch is issued its
legal content is fixed; its PDFs are made from the stored HTML by `render_pending_pdfs()` (what the
`render_pdfs` job runs, `RENDER_BATCH` at a time) through `pdf_pool()` (one process per core), each process
printing 100 documents at once with its Chromium, while the next batches are issued. Two times are
reported: when every invoice is issued, and when every PDF is stored. The PDFs' CPU is the pool processes'
and their browsers' (every descendant). References: a plain INSERT of the same rows, one transaction per row
(the least a durable per-invoice write costs on this database), and one PDF rendered alone by WeasyPrint in
this process (what each PDF cost before batches, and still costs a single PDF).

`path="collection"` (the default) issues them the way production does: every tenant has a billing profile and
two pending charges (the month's fee and its usage, as the subscription side writes them), and the run is what
the month's collect jobs run, `CollectionRun.collect_many` for `COLLECT_BATCH` OAs at a time: claims, drafts,
payer references, issuing, and each run opened with its invoice mail and first collection step scheduled.
`path="book"` drives the invoice book directly (drafts and issuing only), as this benchmark did before.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from linemod.framework.billing.billing_contacts import BillingContact, save_contact
from linemod.framework.billing.collection import COLLECT_BATCH, CollectionRun
from linemod.framework.billing.collection_jobs import RENDER_BATCH
from linemod.framework.billing.invoicing.book import InvoiceBook
from linemod.framework.billing.invoicing.documents import (
    BankAccount,
    Honorific,
    InvoiceLine,
    Issuer,
    Period,
    Recipient,
)
from linemod.framework.billing.invoicing.rendering import InvoiceRenderer, html_to_pdf, pdf_pool
from linemod.framework.billing.ledger import Ledger
from linemod.framework.billing.lines import BillableLine
from linemod.framework.billing.payments.bank_transfer import BankTransfers
from linemod.framework.clock import ManualClock
from linemod.framework.queue.scheduler import JobScheduler
from linemod.framework.storage.database import Database

# A made-up corporate number whose check digit is right (the one the invoice tests use).
ISSUER = Issuer(
    name="株式会社リンクモッド",
    registration_number="T2011001123456",
    address="東京都千代田区丸の内1-1-1",
    contact="billing@linemod.example",
    bank_account=BankAccount("みずほ銀行", "丸の内支店", "1234567", "カ)リンクモッド"),
)
SEPT_1_2026_MS = 1_788_224_400_000
AUGUST = Period(date(2026, 8, 1), date(2026, 8, 31))
ISSUE_BATCH = 200  # invoices per transaction: the counter row is locked for one batch (~0.2 s)


def tenant_lines(n: int) -> list[InvoiceLine]:
    return [
        InvoiceLine("予約モジュール スタンダード 月額", 1, 5000, period=AUGUST),
        InvoiceLine("予約作成(従量)", 50 + n % 400, 10),
    ]


def tenant(n: int) -> Recipient:
    return Recipient(f"株式会社テナント{n:05d}", Honorific.ONCHU, f"東京都渋谷区神南{n % 9 + 1}-{n % 30 + 1}")


def bot_of(n: int) -> str:
    return f"U{n:032x}"


async def seed_collection(db: Database, clock: ManualClock, tenants: int) -> None:
    """Each tenant's billing profile and pending charges, as the month's renewals leave them."""
    for start in range(0, tenants, 1000):
        async with db.transaction() as session:
            charges = []
            for n in range(start, min(tenants, start + 1000)):
                recipient = tenant(n)
                contact = BillingContact(recipient.name, f"keiri{n}@tenant.example", address=recipient.address)
                await save_contact(session, bot_of(n), contact, clock.now_ms())
                fee = BillableLine("予約モジュール スタンダード 月額", "Reservations, Standard, monthly", 1, 5000, 10,
                                   AUGUST.start, AUGUST.end)
                usage = BillableLine("予約作成(従量)", "Reservations made (usage)", 50 + n % 400, 10, 10)
                for key, line in (("fee", fee), ("usage", usage)):
                    charges.append({"bot": bot_of(n), "key": f"bench:{n}:{key}", "yen": line.amount_yen,
                                    "lines": json.dumps([line.to_json()]), "now": clock.now_ms()})
            await session.execute(
                text("INSERT INTO billing_charges (bot_id, charge_key, reason, lines_json, subtotal_yen, created_at_ms)"
                     " VALUES (:bot, :key, 'renewal', :lines, :yen, :now)"),
                charges,
            )


def pool_cpu_seconds(pool: ProcessPoolExecutor) -> float:
    """User + system CPU so far of the pool's processes and all their descendants (the browsers they
    started), plus what those collected of their own finished children (from /proc: they are alive, so
    getrusage's children count would not include them)."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stats[int(entry.name)] = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
    tree = set(getattr(pool, "_processes", {}) or {})
    grew = True
    while grew:
        children = {pid for pid, fields in stats.items() if int(fields[1]) in tree} - tree
        tree |= children
        grew = bool(children)
    # utime, stime, cutime, cstime: fields 14-17 of stat, 11-14 here (after the name).
    return sum(sum(int(value) for value in stats[pid][11:15]) for pid in tree if pid in stats) / ticks


async def count_pdfs(db: Database) -> int:
    async with db.session() as session:
        return int((await session.execute(text("SELECT COUNT(*) FROM invoices WHERE pdf IS NOT NULL"))).scalar() or 0)


async def plain_inserts(db: Database, rows: list[dict[str, Any]]) -> float:
    """Seconds to INSERT `rows` into a scratch table, one transaction per row (the reference)."""
    async with db.transaction() as session:
        await session.execute(
            text("CREATE TABLE bench_plain (number VARCHAR(32), recipient VARCHAR(200), total INTEGER, html TEXT)")
        )
    started = time.perf_counter()
    for row in rows:
        async with db.write_transaction() as session:
            statement = "INSERT INTO bench_plain (number, recipient, total, html) VALUES (:n, :r, :t, :h)"
            await session.execute(text(statement), row)
    return time.perf_counter() - started


async def invoice_run(
    url: str, schema: str | None, tenants: int, workers: int, nice: int, browser: str = "auto",
    path: str = "collection",
) -> dict[str, float]:
    """The run for `tenants` tenants on a fresh database, in seconds (and the PDFs' mean size); the PDF
    processes at priority `nice`, printing with `browser` ("off": every PDF WeasyPrint's, as before)."""
    db = Database(url, schema=schema)
    await db.upgrade()
    clock = ManualClock(SEPT_1_2026_MS)
    if path == "collection":
        await seed_collection(db, clock, tenants)
    with pdf_pool(workers, nice=nice) as pool:
        # Every process started and warm (WeasyPrint imported, fonts loaded) before the clock starts.
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(pool, time.sleep, 0.5) for _ in range(workers)))
        book = InvoiceBook(
            db, clock, ISSUER, renderer=InvoiceRenderer(executor=pool, browser=browser), pdf_on_issue=False
        )
        ledger = Ledger(clock=clock, scheduler=JobScheduler(db, clock), handlers={}, is_postgres=db.is_postgres)
        collection = CollectionRun(db, clock, ledger, book, BankTransfers(db, clock), card_provider=None)
        figures: dict[str, float] = {}
        issued_all = asyncio.Event()

        async def make_pdfs() -> None:
            while True:
                if not await book.render_pending_pdfs(limit=RENDER_BATCH):
                    if issued_all.is_set():
                        return
                    await asyncio.sleep(0.02)

        pool_cpu = pool_cpu_seconds(pool)
        cpu, wall = time.process_time(), time.perf_counter()
        pdfs = asyncio.create_task(make_pdfs())
        issued: list[tuple[str, int]] = []  # (number, total)
        if path == "collection":
            for start in range(0, tenants, COLLECT_BATCH):
                batch = [bot_of(n) for n in range(start, min(tenants, start + COLLECT_BATCH))]
                runs = await collection.collect_many(batch)
                issued += [(run.number, run.amount_yen) for run in runs]
                await asyncio.sleep(0)  # let the PDF task hand the pool what is pending
        else:
            for start in range(0, tenants, ISSUE_BATCH):
                numbers = range(start, min(tenants, start + ISSUE_BATCH))
                drafts = [book.new_draft(tenant(n), tenant_lines(n), period=AUGUST, bot_id=bot_of(n)) for n in numbers]
                stored = await book.create_drafts(drafts)
                batch = await book.finalize_many([draft.id or 0 for draft in stored])
                assert not batch.refused, batch.refused
                issued += [(invoice.number or "", invoice.total_gross) for invoice in batch.issued]
                await asyncio.sleep(0)  # let the PDF task hand the pool what is pending
        assert len(issued) == tenants, f"{len(issued)} invoices issued for {tenants} tenants"
        issued_all.set()
        figures["issued_s"] = time.perf_counter() - wall
        figures["issued_cpu_s"] = time.process_time() - cpu  # this process: drafts, issuing, storing PDFs
        figures["pdfs_at_issued"] = float(await count_pdfs(db))
        await pdfs
        figures["run_s"] = time.perf_counter() - wall
        figures["run_cpu_s"] = time.process_time() - cpu + pool_cpu_seconds(pool) - pool_cpu
        figures["pool_cpu_s"] = pool_cpu_seconds(pool) - pool_cpu
    async with db.session() as session:
        sizes = (await session.execute(text("SELECT COUNT(*), AVG(LENGTH(pdf)) FROM invoices"))).one()
    assert sizes[0] == tenants, f"{sizes[0]} documents for {tenants} tenants"
    figures["pdf_kb"] = float(sizes[1]) / 1024
    sample = await book.html((await book.get_by_number(issued[0][0])).id or 0)
    rows = [{"n": number, "r": tenant(n).name, "t": total, "h": sample} for n, (number, total) in enumerate(issued)]
    figures["plain_s"] = await plain_inserts(db, rows)
    html_to_pdf(sample)  # the first loads WeasyPrint and the fonts
    alone = []
    for _ in range(3):
        cpu = time.process_time()
        html_to_pdf(sample)
        alone.append(time.process_time() - cpu)
    figures["one_pdf_cpu_s"] = statistics.median(alone)
    await db.dispose()
    return figures
