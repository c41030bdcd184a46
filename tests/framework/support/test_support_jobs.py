"""The help desk's jobs run on every ModuleApp: the sweep always, the mailbox poll once a mailbox is set."""

from __future__ import annotations

from linemod.framework.app import ModuleApp
from linemod.framework.clock import ManualClock
from linemod.framework.queue.scheduler import Recurring
from linemod.framework.storage.database import Database
from linemod.framework.support.jobs import POLL_JOB, SWEEP_JOB
from linemod.framework.support.states import TicketStatus
from linemod.framework.support.tickets import TicketService
from tests.framework.helpers import make_settings
from tests.framework.support.builders import BOT_A
from tests.framework.support.conftest import People


def test_the_poll_is_scheduled_only_with_a_mailbox() -> None:
    assert Recurring(SWEEP_JOB, 300) in ModuleApp(make_settings())._recurring()
    assert POLL_JOB not in [job.name for job in ModuleApp(make_settings())._recurring()]
    app = ModuleApp(make_settings(support_imap_host="imap.example", support_poll_interval_seconds=120))
    assert Recurring(POLL_JOB, 120) in app._recurring()


async def test_the_sweep_job_runs_the_automations_on_the_apps_clock(
    db: Database, clock: ManualClock, tickets: TicketService, people: People
) -> None:
    ticket = await tickets.open(people.operator_a, bot_id=BOT_A, subject="s", body="b")
    await tickets.set_status(people.staff, ticket.id, TicketStatus.SOLVED)
    app = ModuleApp(make_settings(development=True), clock=clock, database=db)
    await app.start(workers=False, intake=False)
    try:
        clock.advance(4 * 24 * 3600)
        await app.job_handlers[SWEEP_JOB](None, {})  # type: ignore[arg-type]
    finally:
        await app.stop()
    assert (await tickets.get(people.staff, ticket.id)).status == TicketStatus.CLOSED
