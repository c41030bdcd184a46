"""A worker process killed with SIGKILL mid-event loses nothing and applies nothing twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from linemod.framework.clock import SystemClock
from linemod.framework.queue.event_writer import EventWriter
from linemod.framework.queue.intake import ParsedWebhook, event_rows
from linemod.framework.tenants.store import TenantStore
from tests.framework.helpers import BOT, message_event, user_id, wait_for

ROOT = Path(__file__).resolve().parents[2]


def start_worker(db) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "LINEMOD_DATABASE_URL": db.url,
        "LINEMOD_LEASE_SECONDS": "1",
        "LINEMOD_WORKER_POLL_SECONDS": "0.05",
        "LINEMOD_WORKER_CONCURRENCY": "4",
        "LINEMOD_RECONCILE_INTERVAL_SECONDS": "0",
        "LINEMOD_CHANNEL_SECRET": "x",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}",
    }
    if db.schema:
        env["LINEMOD_DATABASE_SCHEMA"] = db.schema
    command = [sys.executable, "-c", "from linemod.cli import main; main()", "worker", "tests.framework.crash_app:app"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


async def scalar(db, sql: str) -> int:  # type: ignore[no-untyped-def]
    async with db.session() as session:
        return int(await session.scalar(text(sql)) or 0)


async def test_sigkill_mid_event_then_restart_handles_every_event_once(db) -> None:  # type: ignore[no-untyped-def]
    async with db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE effects (event_id VARCHAR(64), chat_id VARCHAR(100), seq INTEGER)"))
    await TenantStore(db, SystemClock()).record_attach(BOT, ["message:receive", "message:send"])
    users = [user_id(n) for n in range(1, 5)]
    events = [message_event(str(i), user=users[i % 4]) for i in range(80)]
    await EventWriter(db).store(event_rows(ParsedWebhook(BOT, events), SystemClock().now_ms()))

    worker = start_worker(db)
    try:
        await wait_for(lambda: scalar(db, "SELECT COUNT(*) FROM effects WHERE seq >= 12"), timeout=30)
        await wait_for(
            lambda: scalar(db, "SELECT COUNT(*) FROM events WHERE status = 'running'"), timeout=30, interval=0.001
        )
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    # the dead worker left events it had claimed but not finished
    assert await scalar(db, "SELECT COUNT(*) FROM events WHERE status = 'running'") > 0
    done_at_kill = await scalar(db, "SELECT COUNT(*) FROM events WHERE status = 'done'")
    assert done_at_kill < len(events)
    assert await scalar(db, "SELECT COUNT(*) FROM effects") == done_at_kill  # no half-applied event

    restarted = start_worker(db)
    try:
        deadline = time.monotonic() + 60
        while await scalar(db, "SELECT COUNT(*) FROM events WHERE status = 'done'") < len(events):
            assert restarted.poll() is None, restarted.stdout.read().decode() if restarted.stdout else ""
            assert time.monotonic() < deadline, "the restarted worker did not finish"
            await asyncio.sleep(0.1)
    finally:
        restarted.send_signal(signal.SIGTERM)
        try:
            restarted.wait(timeout=10)
        except subprocess.TimeoutExpired:
            restarted.kill()

    async with db.session() as session:
        rows = list(await session.execute(text("SELECT event_id, chat_id, seq FROM effects")))
    assert len(rows) == len(events)
    assert {r.event_id for r in rows} == {e["webhookEventId"] for e in events}
    for user in users:  # each chat's events took effect in the order they arrived
        async with db.session() as session:
            seqs = [
                r.seq
                for r in await session.execute(
                    text(
                        "SELECT e.seq FROM effects e JOIN events v ON v.webhook_event_id = e.event_id "
                        "WHERE e.chat_id = :c ORDER BY v.finished_at_ms, v.id"
                    ),
                    {"c": user},
                )
            ]
        assert seqs == sorted(seqs) and len(seqs) == len(events) // len(users)
