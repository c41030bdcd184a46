"""Fixtures of the self-service pages' browser tests: Debian's Chromium through Playwright and one module server
(on a SQLite file) for the whole package, seeded with help articles, announcements and tickets.

A package of its own, with package-scoped Playwright: Playwright's sync API keeps an event loop running in
this thread until it stops, which would break the async tests collected after these ones.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import update

from linemod.framework.accounts.info import AccountInfo
from linemod.framework.app import ModuleApp
from linemod.framework.clock import ManualClock
from linemod.framework.settings import Settings
from linemod.framework.support.announcements.service import AnnouncementDraft, AnnouncementService
from linemod.framework.support.business_hours import DAY_MS, JST, MINUTE_MS
from linemod.framework.support.knowledge.articles import ArticleDraft, ArticleService
from linemod.framework.support.records import SupportTicketRow
from linemod.framework.support.states import Csat, TicketStatus
from linemod.framework.support.tickets import TicketService
from tests.framework.console.browser.conftest import _migrate, in_thread
from tests.framework.helpers import ThreadedServer, free_port, make_settings
from tests.support.browser import chromium_session

SCREENSHOTS = Path(__file__).resolve().parents[4] / "docs" / "screenshots"
PASSWORD = "correct horse battery"
OPERATOR = "hanako@sakura.example"
STAFF = "support@provider.example"
INCIDENT = "LINEプラットフォームでメッセージ送信が遅延しています"
ARTICLES = [
    (
        "予約",
        "予約を変更する方法",
        "予約一覧から変更したい予約を選び、**変更する**を押します。\n\n"
        "1. 新しい日時を選ぶ\n2. 内容を確認して確定する\n\nお客様には変更のお知らせが LINE で届きます。",
        "public",
    ),
    (
        "予約",
        "予約をキャンセルする",
        "予約一覧からキャンセルしたい予約を選び、**キャンセル**を押します。お客様にはキャンセルのお知らせが届きます。",
        "public",
    ),
    (
        "はじめに",
        "モジュールをLINE公式アカウントに追加する",
        "コンソールの「モジュールを追加」から、LINEの同意画面で公式アカウントを選びます。",
        "public",
    ),
    (
        "料金",
        "請求書の宛名を変更する",
        "請求先の設定画面で宛名を変更できます。変更は次回の請求書から反映されます。",
        "operators",
    ),
    ("料金", "お支払い方法を登録する", "クレジットカードまたは銀行振込を選べます。", "operators"),
]


@dataclass
class Site:
    base: str
    app: ModuleApp

    def shot(self, page: Page, name: str) -> None:
        """Photograph a page for the README when LINEMOD_SCREENSHOTS=1 (docs/screenshots/support-*.png)."""
        if os.environ.get("LINEMOD_SCREENSHOTS"):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"support-{name}.png"), full_page=True)


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    with chromium_session(timeout_ms=15_000) as browser:
        yield browser


@pytest.fixture(scope="package")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('support')}/support.db"
    in_thread(lambda: _migrate(url))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(database_url=url, public_base_url=base, development=True)
    in_thread(lambda: _seed(settings))
    app = ModuleApp(settings)
    with ThreadedServer(app.asgi(), port=port):
        yield Site(base, app)


async def _seed(settings: Settings) -> None:
    """The staff member, the operator, published articles, two active announcements and some tickets."""
    admin = ModuleApp(settings)
    await admin.start(workers=False, intake=False)
    try:
        services = admin.console.services()
        staff = await services.accounts.create_staff(STAFF, PASSWORD)
        await admin.console.create_operator(OPERATOR, PASSWORD)
        operator = await services.accounts.by_email(OPERATOR)
        assert operator is not None
        articles = ArticleService(services.db, services.clock)
        for category, title, body, visibility in ARTICLES:
            made = await articles.create(staff, ArticleDraft("ja", title, body, category, visibility))
            await articles.set_status(staff, made.id, "published")
        announcements = AnnouncementService(services.db, services.clock)
        now = services.clock.now_ms()
        for kind, severity, title_ja, title_en in (
            ("incident", "critical", INCIDENT, "Messages are delayed on the LINE Platform"),
            (
                "maintenance",
                "warning",
                "定期メンテナンス（1月9日 2:00〜4:00）",
                "Scheduled maintenance (9 Jan, 2:00-4:00)",
            ),
        ):
            await announcements.create(
                staff,
                AnnouncementDraft(
                    kind,
                    severity,
                    title_ja,
                    title_en,
                    title_ja + "。",
                    title_en + ".",
                    now - MINUTE_MS,
                    now + DAY_MS,
                    False,
                ),
            )
        await _tickets(services.db, staff, operator)
    finally:
        await admin.stop()


async def _tickets(db, staff: AccountInfo, operator: AccountInfo) -> None:  # type: ignore[no-untyped-def]
    """Tickets for the reports page, opened over the last days on a clock of their own (answered after a
    while, solved, rated; some still open), so that its times are not all zero."""
    today = datetime.now(JST).date()
    monday = today - timedelta(days=today.weekday() + 7)  # the Monday of last week, 10:00 Japan time
    clock = ManualClock(int(datetime.combine(monday, time(10), JST).timestamp() * 1000))
    tickets = TicketService(db, clock)
    plan = ("standard", "standard", "pro", None, "pro")
    for index, (subject, reply_after_h, solve_after_h, rating) in enumerate(
        (
            ("予約が入らない", 0.5, 3, Csat.GOOD),
            ("請求書の宛名", 2, 20, Csat.GOOD),
            ("リッチメニューが表示されない", 5, 30, Csat.BAD),
            ("解約したい", None, None, None),
            ("通知が届かない", 1, None, None),
        )
    ):
        clock.advance(3600 * 24)
        opened = clock.now_ms()
        ticket = await tickets.open(operator, subject=subject, body=subject + "。よろしくお願いします。")
        async with db.transaction() as session:
            await session.execute(
                update(SupportTicketRow).where(SupportTicketRow.id == ticket.id).values(plan_code=plan[index])
            )
        if reply_after_h is not None:
            await tickets.assign(staff, ticket.id, staff.id)
            clock.advance(3600 * reply_after_h)
            await tickets.reply(staff, ticket.id, "ご連絡ありがとうございます。確認します。")
        if solve_after_h is not None:
            clock.advance(3600 * solve_after_h)
            await tickets.set_status(staff, ticket.id, TicketStatus.SOLVED)
            await tickets.rate(operator, ticket.id, rating, "返信が遅かった" if rating == Csat.BAD else None)
        clock.advance((opened - clock.now_ms()) / 1000)


def new_context(chromium: Browser) -> BrowserContext:
    return chromium.new_context(viewport={"width": 1280, "height": 860}, locale="ja-JP")


def sign_in(page: Page, site: Site, email: str) -> None:
    page.goto(f"{site.base}/console/signin")
    form = page.get_by_test_id("signin-form")
    form.locator("[name=email]").fill(email)
    form.locator("[name=password]").fill(PASSWORD)
    form.get_by_role("button").click()
    expect(page.get_by_test_id("account-link")).to_have_text(email)
