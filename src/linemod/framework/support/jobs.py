"""The help desk's jobs on the app's clock, registered on every `ModuleApp`: reading the support mailbox (when
one is configured), the sweep of automations, SLA warnings and escalations, and reply retries, and the
inbox's copies of the media LINE users send."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from linemod.framework.queue.scheduler import Recurring
from linemod.framework.settings import Settings
from linemod.framework.support.desk import SupportDesk
from linemod.framework.support.inbox.media import copy_media
from linemod.framework.support.inbox.recording import MEDIA_JOB

if TYPE_CHECKING:
    from linemod.framework.app import ModuleApp
    from linemod.framework.context import JobContext

POLL_JOB = "linemod.support.poll_mail"
SWEEP_JOB = "linemod.support.sweep"


def support_recurring(settings: Settings) -> list[Recurring]:
    jobs = []
    if settings.support_imap_host and settings.support_poll_interval_seconds > 0:
        jobs.append(Recurring(POLL_JOB, settings.support_poll_interval_seconds))
    if settings.support_sweep_interval_seconds > 0:
        jobs.append(Recurring(SWEEP_JOB, settings.support_sweep_interval_seconds))
    return jobs


def register_support_jobs(app: ModuleApp) -> None:
    def desk() -> SupportDesk:
        # The desk of `app.support`: the module's SLA policies, shared with the console pages.
        return app.support.desk()

    async def poll_mail(_jctx: JobContext, _payload: dict[str, Any]) -> None:
        await desk().mail_in.poll()

    async def sweep(_jctx: JobContext, _payload: dict[str, Any]) -> None:
        await desk().automations.run()

    async def copy_inbox_media(jctx: JobContext, payload: dict[str, Any]) -> None:
        await copy_media(jctx, payload, app.settings.support_attachment_max_bytes)

    app.job(POLL_JOB)(poll_mail)
    app.job(SWEEP_JOB)(sweep)
    app.job(MEDIA_JOB)(copy_inbox_media)
