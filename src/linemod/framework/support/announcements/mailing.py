"""Mailing an announcement to the operators who asked for announcements by mail: a durable job on the app's
clock, run once per publication (service.py schedules it), safe to run again.

Each (announcement, account) gets one `support_announcement_mails` row, inserted before any mail is sent: its
primary key is what makes a second mail to the same account impossible, whether the job runs twice, two
workers run it together, or staff edit the announcement. A row is claimed ("sending") by a conditional
update (only one runner wins it), mailed, then marked "sent". A mail the SMTP server refused is "due" again
and the job fails, to be retried with the queue's backoff; after `MAX_ATTEMPTS` the row is "failed". A run
that died while "sending" leaves the row to be taken again after `CLAIM_LEASE_MS`: only a crash between the
SMTP server's acceptance and the "sent" mark can repeat a mail (SMTP has no transaction to join).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from linemod.framework.accounts.mailer import Mail, Mailer, mailer_for
from linemod.framework.clock import Clock
from linemod.framework.console.templating import format_ms
from linemod.framework.i18n import Catalogs
from linemod.framework.settings import Settings
from linemod.framework.storage.database import Database
from linemod.framework.storage.models import Account
from linemod.framework.support.announcements.records import (
    SupportAnnouncementMailRow,
    SupportAnnouncementRow,
    SupportAnnouncementSubscriberRow,
)
from linemod.framework.support.announcements.service import KIND_LABELS, MAIL_JOB, Announcement

if TYPE_CHECKING:
    from linemod.framework.app import ModuleApp
    from linemod.framework.context import JobContext

log = logging.getLogger("linemod.support")
MAX_ATTEMPTS = 5
CLAIM_LEASE_MS = 10 * 60_000  # far longer than one SMTP conversation


class MailsLeft(RuntimeError):
    """Some mails of the announcement could not be sent this time: the job fails and is retried."""


@dataclass
class AnnouncementMailer:
    db: Database
    clock: Clock
    settings: Settings
    mailer: Mailer
    catalogs: Catalogs

    async def run(self, announcement_id: int) -> int:
        """Mail the announcement to every subscriber not yet mailed; returns how many were sent now."""
        announcement = await self._recipients(announcement_id)
        if announcement is None:
            return 0
        async with self.db.session() as session:
            due = list(
                await session.scalars(
                    select(SupportAnnouncementMailRow).where(
                        SupportAnnouncementMailRow.announcement_id == announcement_id,
                        _claimable(self.clock.now_ms()),
                    )
                )
            )
        sent = failed = 0
        for row in due:
            if not await self._claim(row):
                continue
            try:
                await self.mailer.send(self.mail(announcement, row.account_id, row.email, row.lang))
            except Exception:
                failed += 1
                log.warning(
                    "mailing announcement %s to account %s failed; the job retries",
                    announcement_id,
                    row.account_id,
                    exc_info=True,
                )
                await self._mark(row, "failed" if row.attempts >= MAX_ATTEMPTS else "due")
                continue
            await self._mark(row, "sent")
            sent += 1
        if failed:
            raise MailsLeft(f"{failed} mails of announcement {announcement_id} are still to send")
        return sent

    async def _recipients(self, announcement_id: int) -> Announcement | None:
        """Write a "due" row for each subscriber (an operator with a confirmed address) who has none yet."""
        try:
            async with self.db.transaction() as session:
                row = await session.get(SupportAnnouncementRow, announcement_id)
                if row is None or not row.mail:
                    return None
                had = select(SupportAnnouncementMailRow.account_id).where(
                    SupportAnnouncementMailRow.announcement_id == announcement_id
                )
                subscribers = await session.execute(
                    select(Account.id, Account.email, SupportAnnouncementSubscriberRow.lang)
                    .join(Account, Account.id == SupportAnnouncementSubscriberRow.account_id)
                    .where(
                        Account.provider_staff.is_(False),
                        Account.email_verified_at_ms.is_not(None),
                        SupportAnnouncementSubscriberRow.account_id.not_in(had),
                    )
                    .order_by(Account.id)
                )
                for account_id, email, lang in subscribers:
                    session.add(
                        SupportAnnouncementMailRow(
                            announcement_id=announcement_id,
                            account_id=account_id,
                            email=email,
                            lang=lang,
                            state="due",
                            attempts=0,
                        )
                    )
                return Announcement.from_row(row)
        except IntegrityError:
            # Another run of this job wrote the rows at the same moment: send what it wrote.
            async with self.db.session() as session:
                found = await session.get(SupportAnnouncementRow, announcement_id)
                return Announcement.from_row(found) if found is not None else None

    async def _claim(self, row: SupportAnnouncementMailRow) -> bool:
        """Take the row for this run ("sending"): of two runs that read it at once, only one gets it back.
        A row left "sending" longer than `CLAIM_LEASE_MS` belongs to a run that died: it is taken again.
        (RETURNING, not `rowcount`: the ORM's UPDATE on SQLite reports a rowcount of -1.)"""
        now = self.clock.now_ms()
        async with self.db.transaction() as session:
            claimed = await session.execute(
                update(SupportAnnouncementMailRow)
                .where(
                    SupportAnnouncementMailRow.announcement_id == row.announcement_id,
                    SupportAnnouncementMailRow.account_id == row.account_id,
                    _claimable(now),
                )
                .values(state="sending", attempts=SupportAnnouncementMailRow.attempts + 1, claimed_at_ms=now)
                .returning(SupportAnnouncementMailRow.attempts)
            )
            attempts = claimed.scalar()
        if attempts is None:
            return False
        row.attempts = attempts
        return True

    async def _mark(self, row: SupportAnnouncementMailRow, state: str) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                update(SupportAnnouncementMailRow)
                .where(
                    SupportAnnouncementMailRow.announcement_id == row.announcement_id,
                    SupportAnnouncementMailRow.account_id == row.account_id,
                )
                .values(state=state, sent_at_ms=self.clock.now_ms() if state == "sent" else None)
            )

    def mail(self, announcement: Announcement, account_id: int, email: str, lang: str) -> Mail:
        def _(message: str, **values: Any) -> str:
            return self.catalogs.gettext(lang, message, **values)

        base = self.settings.public_base_url.rstrip("/")
        period = _("From %(start)s", start=format_ms(announcement.starts_at_ms))
        if announcement.ends_at_ms is not None:
            period = _(
                "From %(start)s to %(end)s",
                start=format_ms(announcement.starts_at_ms),
                end=format_ms(announcement.ends_at_ms),
            )
        body = "\n".join(
            [
                announcement.title(lang),
                "",
                announcement.body(lang),
                "",
                period + " " + _("(Japan time)"),
                "",
                _("Every announcement: %(url)s", url=f"{base}/console/announcements"),
                _(
                    "You get this mail because you asked for announcements by mail. To stop: %(url)s",
                    url=f"{base}/console/account",
                ),
            ]
        )
        domain = parseaddr(self.settings.mail_from)[1].rsplit("@", 1)[-1] or "localhost"
        return Mail(
            to=email,
            subject=f"[{_(KIND_LABELS.get(announcement.kind, 'Notice'))}] {announcement.title(lang)}",
            body=body,
            headers={"Message-ID": f"<announcement.{announcement.id}.{account_id}@{domain}>"},
        )


def _claimable(now_ms: int) -> ColumnElement[bool]:
    row = SupportAnnouncementMailRow
    stale = and_(row.state == "sending", row.claimed_at_ms < now_ms - CLAIM_LEASE_MS)
    return or_(row.state == "due", stale)


def register_announcement_jobs(app: ModuleApp) -> None:
    """The mailing job, on every `ModuleApp` (a runtime's mailer is made on first use)."""

    async def mail_announcement(_jctx: JobContext, payload: dict[str, Any]) -> None:
        runtime = app.runtime
        if runtime is None:
            raise RuntimeError("the module app is not started")
        mailer = app.console.mailer  # the console's, when a test or a deployment replaced it
        sender = AnnouncementMailer(
            runtime.db,
            runtime.clock,
            runtime.settings,
            mailer or mailer_for(runtime.settings, runtime.db, runtime.clock),
            app.catalogs,
        )
        announcement_id = payload.get("announcement_id")
        if isinstance(announcement_id, int):
            await sender.run(announcement_id)

    app.job(MAIL_JOB)(mail_announcement)
