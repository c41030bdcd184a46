"""Announcements by mail through a real SMTP server (aiosmtpd on loopback) and the app's durable job: once to
each operator who opted in, in the language they chose, never to those who did not, to staff or to an
unconfirmed address, and never twice, however often the job runs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from linemod.framework.accounts.info import AccountInfo
from linemod.framework.accounts.mailer import Mail, SmtpMailer
from linemod.framework.app import ModuleApp
from linemod.framework.clock import ManualClock
from linemod.framework.i18n import Catalogs
from linemod.framework.storage.database import Database
from linemod.framework.storage.models import Account
from linemod.framework.support.announcements.mailing import CLAIM_LEASE_MS, AnnouncementMailer, MailsLeft
from linemod.framework.support.announcements.records import SupportAnnouncementMailRow
from linemod.framework.support.announcements.service import AnnouncementDraft, AnnouncementService
from tests.framework.helpers import Running, make_settings
from tests.framework.support.builders import FRIDAY_10_00, add_account
from tests.support.mail_servers import SmtpCapture, smtp_capture


@pytest.fixture
def smtp() -> Iterator[SmtpCapture]:
    with smtp_capture() as capture:
        yield capture


async def unverified(db: Database, email: str) -> AccountInfo:
    account = await add_account(db, email)
    async with db.transaction() as session:
        row = await session.get(Account, account.id)
        assert row is not None
        row.email_verified_at_ms = None
    return account


async def test_an_announcement_is_mailed_once_to_each_operator_who_opted_in(db: Database, smtp: SmtpCapture) -> None:
    settings = make_settings(
        smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_tls="none", public_base_url="https://module.example"
    )
    app = ModuleApp(settings, database=db)
    async with Running(app) as run:
        assert run.runtime is not None
        service = AnnouncementService(db, app.clock, run.runtime.scheduler)
        staff = await add_account(db, "staff@provider.example", staff=True)
        hanako = await add_account(db, "hanako@sakura.example")
        john = await add_account(db, "john@example.com")
        quiet = await add_account(db, "quiet@example.com")
        late = await unverified(db, "late@example.com")
        await service.subscribe(hanako, "ja", True)
        await service.subscribe(john, "en", True)
        await service.subscribe(late, "ja", True)
        await service.subscribe(staff, "ja", True)  # staff are not operators: no mail
        await service.subscribe(quiet, "ja", True)
        await service.subscribe(quiet, "ja", False)  # changed their mind

        draft, errors = AnnouncementDraft.parse(
            {
                "kind": "maintenance",
                "severity": "warning",
                "title_ja": "定期メンテナンスのお知らせ",
                "title_en": "Scheduled maintenance",
                "body_ja": "1月9日 2:00〜4:00 にメンテナンスを行います。",
                "body_en": "We will be down for maintenance on 9 January, 2:00-4:00.",
                "starts_at": "",
                "ends_at": "2099-01-09T04:00",
                "mail": "on",
            },
            app.clock.now_ms(),
        )
        assert errors == {}
        announcement = await service.create(staff, draft)
        run.runtime.notify_workers()
        await run.drain()

        assert sorted(mail.envelope_to[0] for mail in smtp.mails) == ["hanako@sakura.example", "john@example.com"]
        by_address = {mail.envelope_to[0]: mail.message for mail in smtp.mails}
        japanese, english = by_address["hanako@sakura.example"], by_address["john@example.com"]
        assert japanese["Subject"] == "[メンテナンス] 定期メンテナンスのお知らせ"
        assert "1月9日 2:00〜4:00" in japanese.get_content()
        assert "https://module.example/console/announcements" in japanese.get_content()
        assert english["Subject"] == "[Maintenance] Scheduled maintenance"
        assert english["Message-ID"] == f"<announcement.{announcement.id}.{john.id}@localhost>"

        # an edit runs the job again, and so does anyone calling it: nobody gets a second mail
        await service.update(staff, announcement.id, draft)
        run.runtime.notify_workers()
        await run.drain()
        again = AnnouncementMailer(db, app.clock, settings, SmtpMailer(settings), app.catalogs)
        assert await again.run(announcement.id) == 0
        assert len(smtp.mails) == 2

        # someone who opts in later gets it on the next run; two runs at once still mail them once
        await service.subscribe(quiet, "ja", True)
        sent = await asyncio.gather(again.run(announcement.id), again.run(announcement.id))
        assert sorted(sent) == [0, 1]
        assert [mail.envelope_to[0] for mail in smtp.mails].count("quiet@example.com") == 1
        assert len(smtp.mails) == 3


class FlakyMailer:
    """Refuses the first mail, like an SMTP server that is down for a moment."""

    def __init__(self) -> None:
        self.refuse = 1
        self.sent: list[str] = []

    async def send(self, mail: Mail) -> None:
        if self.refuse:
            self.refuse -= 1
            raise ConnectionRefusedError("SMTP server down")
        self.sent.append(mail.to)


async def test_a_refused_mail_is_retried_and_a_dead_run_s_claim_runs_out(db: Database) -> None:
    clock = ManualClock(FRIDAY_10_00)
    service = AnnouncementService(db, clock)
    staff = await add_account(db, "staff@provider.example", staff=True)
    hanako = await add_account(db, "hanako@sakura.example")
    await service.subscribe(hanako, "ja", True)
    draft, _errors = AnnouncementDraft.parse(
        {
            "kind": "incident",
            "severity": "critical",
            "title_ja": "障害",
            "title_en": "Incident",
            "body_ja": "本文",
            "body_en": "Text",
            "mail": "on",
        },
        clock.now_ms(),
    )
    announcement = await service.create(staff, draft)
    mailer = FlakyMailer()
    runner = AnnouncementMailer(db, clock, make_settings(), mailer, Catalogs())
    with pytest.raises(MailsLeft):
        await runner.run(announcement.id)  # the job fails: the queue retries it
    assert await runner.run(announcement.id) == 1
    assert mailer.sent == ["hanako@sakura.example"]

    # a run that claimed a mail and died: nobody sends it until its claim runs out, then once
    taro = await add_account(db, "taro@other.example")
    await service.subscribe(taro, "en", True)
    await runner._recipients(announcement.id)
    async with db.session() as session:
        row = await session.get(SupportAnnouncementMailRow, (announcement.id, taro.id))
    assert row is not None and await runner._claim(row)
    assert await runner.run(announcement.id) == 0
    clock.advance(CLAIM_LEASE_MS / 1000 + 1)
    assert await runner.run(announcement.id) == 1
    assert await runner.run(announcement.id) == 0
    assert mailer.sent == ["hanako@sakura.example", "taro@other.example"]
