"""An invoice run for N tenants (what `billing.py` measures second): drafts, finalization, then the PDFs in a
process pool, each phase's wall time and CPU, next to references measured in the same run.

The run is what a monthly billing job does with `InvoiceBook(pdf_on_issue=False)`: one draft per tenant
(a monthly fee and a usage line), each issued (numbered, checked, its HTML rendered and stored), then
`render_pending_pdfs()` in batches through a pool of one process per core. References: a plain INSERT of
the same rows, one transaction per row (the least a durable per-invoice write costs on this database), and
one PDF rendered in this process (the serial CPU a PDF takes, which the pool divides among the cores).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from linemod.framework.billing.invoicing.book import InvoiceBook
from linemod.framework.billing.invoicing.documents import (
    BankAccount,
    Honorific,
    InvoiceLine,
    Issuer,
    Period,
    Recipient,
)
from linemod.framework.billing.invoicing.rendering import InvoiceRenderer, html_to_pdf
from linemod.framework.clock import ManualClock
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
PDF_BATCH = 200  # documents handed to the pool at once: enough to keep every process busy


def tenant_lines(n: int) -> list[InvoiceLine]:
    return [
        InvoiceLine("予約モジュール スタンダード 月額", 1, 5000, period=AUGUST),
        InvoiceLine("予約作成(従量)", 50 + n % 400, 10),
    ]


def tenant(n: int) -> Recipient:
    return Recipient(f"株式会社テナント{n:05d}", Honorific.ONCHU, f"東京都渋谷区神南{n % 9 + 1}-{n % 30 + 1}")


def pool_cpu_seconds(pool: ProcessPoolExecutor) -> float:
    """User + system CPU of the pool's processes so far (from /proc: they are alive, so getrusage's
    children count would not include them)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in list(getattr(pool, "_processes", {}) or {}):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def warm_up() -> None:
    """Imports WeasyPrint and loads the fonts in a pool process before the clock starts."""
    html_to_pdf("<html><body><p>請求書</p></body></html>")


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


async def invoice_run(url: str, schema: str | None, tenants: int, workers: int) -> dict[str, float]:
    """The phases of a run for `tenants` tenants on a fresh database, in seconds (and the PDFs' mean size)."""
    db = Database(url, schema=schema)
    await db.upgrade()
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing of this event loop
    with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as pool:
        await asyncio.gather(*(asyncio.get_running_loop().run_in_executor(pool, warm_up) for _ in range(workers)))
        book = InvoiceBook(
            db, ManualClock(SEPT_1_2026_MS), ISSUER, renderer=InvoiceRenderer(executor=pool), pdf_on_issue=False
        )
        figures: dict[str, float] = {}
        pool_cpu = pool_cpu_seconds(pool)
        cpu, wall = time.process_time(), time.perf_counter()
        ids = []
        for n in range(tenants):
            draft = await book.create_draft(tenant(n), tenant_lines(n), period=AUGUST, bot_id=f"U{n:032x}")
            ids.append(draft.id or 0)
        figures["drafts_s"] = time.perf_counter() - wall
        figures["drafts_cpu_s"] = time.process_time() - cpu
        cpu2, wall2 = time.process_time(), time.perf_counter()
        issued = [await book.finalize(invoice_id) for invoice_id in ids]
        figures["finalize_s"] = time.perf_counter() - wall2
        figures["finalize_cpu_s"] = time.process_time() - cpu2
        cpu3, wall3 = time.process_time(), time.perf_counter()
        while await book.render_pending_pdfs(limit=PDF_BATCH):
            pass
        figures["pdfs_s"] = time.perf_counter() - wall3
        figures["pdfs_cpu_s"] = time.process_time() - cpu3 + pool_cpu_seconds(pool) - pool_cpu
        figures["run_s"] = time.perf_counter() - wall
        figures["run_cpu_s"] = time.process_time() - cpu + pool_cpu_seconds(pool) - pool_cpu
    async with db.session() as session:
        sizes = (await session.execute(text("SELECT COUNT(*), AVG(LENGTH(pdf)) FROM invoices"))).one()
    assert sizes[0] == tenants, f"{sizes[0]} documents for {tenants} tenants"
    figures["pdf_kb"] = float(sizes[1]) / 1024
    sample = await book.html(ids[0])
    rows = [{"n": i.number, "r": i.recipient.name, "t": i.total_gross, "h": sample} for i in issued]
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
