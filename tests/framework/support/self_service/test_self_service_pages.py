"""The self-service pages through HTTP on both databases: staff write and publish help articles, readers see
what they may, announcements reach the operators' banner and go when dismissed, staff read the reports;
operators get 404 on staff URLs, forms need their CSRF token, bad input is a 400 page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from argon2 import PasswordHasher

from linemod.framework.accounts.passwords import Passwords
from linemod.framework.app import ModuleApp
from linemod.framework.storage.database import Database
from tests.framework.console.conftest import Console
from tests.framework.helpers import Running, make_settings


@pytest.fixture
async def console(db: Database) -> AsyncIterator[Console]:
    """The console fixture of the console tests, with cheap password hashes (these tests sign many people in)."""
    app = ModuleApp(make_settings(development=True), database=db)
    app.console.state.passwords = Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    async with Running(app, workers=False) as run:
        world = Console(run, db)
        yield world
        for b in world.browsers:
            await b.close()


ARTICLE = {
    "lang": "ja",
    "category": "予約",
    "visibility": "public",
    "title": "予約を変更する方法",
    "body": "予約一覧から予約を選び、**変更する**を押します。\n\n<script>alert('x')</script>",
}


async def test_help_articles_from_staff_form_to_readers(console: Console) -> None:
    staff = await console.staff()
    operator = await console.operator("hanako@sakura.example")
    anonymous = console.browser()

    # staff write a draft: rendered from Markdown, raw HTML shown as text; nobody reads it before it is published
    answer = await staff.post("/provider/support/articles/new", ARTICLE)
    assert answer.status_code == 303
    path = answer.headers["location"].split("?")[0]
    article_id = int(path.rsplit("/", 1)[1])
    edit = await staff.get(path)
    assert "<strong>変更する</strong>" in edit.text and "<script>alert" not in edit.text
    assert (await anonymous.get(f"/help/articles/{article_id}")).status_code == 404
    assert (await operator.get(f"/help/articles/{article_id}")).status_code == 404
    assert (await staff.post(f"{path}/publish")).status_code == 303
    page = await anonymous.get(f"/help/articles/{article_id}")
    assert page.status_code == 200 and "予約を変更する方法" in page.text
    assert "&lt;script&gt;alert" in page.text and "<script>alert" not in page.text
    found = await anonymous.get("/help", params={"q": "予約の変更"})
    assert f'href="/help/articles/{article_id}"' in found.text

    # suggestions, as the ticket form asks for them: `q`, or the form's own fields (htmx's hx-include)
    suggestions = await operator.get("/help/suggest", params={"q": "予約の日時を変更したい"})
    assert suggestions.status_code == 200 and "<html" not in suggestions.text
    assert re.search(rf'data-testid="help-suggestion"><a href="/help/articles/{article_id}"', suggestions.text)
    assert 'help-suggestion"' not in (await operator.get("/help/suggest", params={"q": "天気"})).text
    fields = await operator.get("/help/suggest", params={"subject": "日時を変えたい", "body": "予約の変更はどこから？"})
    assert f'href="/help/articles/{article_id}"' in fields.text

    # an article for signed-in operators: anonymous readers are sent to sign in, and do not see it listed
    answer = await staff.post(
        "/provider/support/articles/new", {**ARTICLE, "title": "請求書の宛名", "visibility": "operators"}
    )
    members_path = answer.headers["location"].split("?")[0]
    await staff.post(f"{members_path}/publish")
    members_id = members_path.rsplit("/", 1)[1]
    answer = await anonymous.get(f"/help/articles/{members_id}")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/signin")
    assert "請求書の宛名" not in (await anonymous.get("/help")).text
    assert (await operator.get(f"/help/articles/{members_id}")).status_code == 200
    assert "請求書の宛名" in (await operator.get("/help")).text

    # operators get 404 on every staff URL, and their POSTs change nothing
    for url in ("/provider/support/articles", path, "/provider/support/announcements", "/provider/support/reports"):
        assert (await operator.get(url)).status_code == 404, url
    assert (await operator.post(f"{path}/unpublish")).status_code == 404
    assert (await anonymous.get(f"/help/articles/{article_id}")).status_code == 200
    assert (await operator.get("/help/articles/99999999999999999999")).status_code == 404

    # bad input: a 400 form saying what is wrong, a 403 without the token, nothing stored
    listed = (await staff.get("/provider/support/articles")).text.count('data-testid="article-row"')
    bad = await staff.post("/provider/support/articles/new", {**ARTICLE, "title": "", "lang": "fr"})
    assert bad.status_code == 400 and 'data-testid="error"' in bad.text
    assert (await staff.post("/provider/support/articles/new", ARTICLE, csrf=False)).status_code == 403
    assert (await staff.get("/provider/support/articles")).text.count('data-testid="article-row"') == listed
    assert (await staff.get("/provider/support/articles/abc")).status_code == 404
    # a NUL, which PostgreSQL refuses in text, is dropped from what is stored and from what is searched
    saved = await staff.post("/provider/support/articles/new", {**ARTICLE, "title": "予約\x00の変更"})
    assert saved.status_code == 303
    assert "予約の変更" in (await staff.get(saved.headers["location"])).text
    for params in ({"q": "予約\x00"}, {"category": "予約\x00"}):
        assert (await staff.get("/help", params=params)).status_code == 200
    assert (await staff.get("/help/suggest", params={"q": "\x00"})).status_code == 200


async def test_announcement_banner_dismissal_and_mail_opt_in(console: Console) -> None:
    staff = await console.staff()
    announcement = {
        "kind": "incident",
        "severity": "critical",
        "title_ja": "LINEプラットフォームの障害",
        "title_en": "LINE platform incident",
        "body_ja": "メッセージの送信が遅れています。",
        "body_en": "Messages are delayed.",
        "starts_at": "",
        "ends_at": "",
    }
    bad = await staff.post("/provider/support/announcements/new", {**announcement, "ends_at": "2020-13-01T00:00"})
    assert bad.status_code == 400
    assert (await staff.post("/provider/support/announcements/new", announcement)).status_code == 303

    operator = await console.operator("hanako@sakura.example")
    banner = await operator.get("/console/announcements/banner", headers={"HX-Request": "true"})
    assert "LINEプラットフォームの障害" in banner.text
    announcement_id = re.search(r'data-announcement="(\d+)"', banner.text).group(1)  # type: ignore[union-attr]
    assert (await operator.post(f"/console/announcements/{announcement_id}/dismiss", csrf=False)).status_code == 403
    dismissed = await operator.post(f"/console/announcements/{announcement_id}/dismiss", {"next": "/console/"})
    assert dismissed.status_code == 303 and dismissed.headers["location"] == "/console/"
    banner = await operator.get("/console/announcements/banner", headers={"HX-Request": "true"})
    assert "LINEプラットフォームの障害" not in banner.text
    assert "LINEプラットフォームの障害" in (await operator.get("/console/announcements")).text
    # another operator still sees it; staff see no banner
    other = await console.operator("taro@other.example")
    assert "LINEプラットフォームの障害" in (await other.get("/console/announcements/banner")).text
    assert "LINEプラットフォームの障害" not in (await staff.get("/console/announcements/banner")).text
    other.http.cookies.set("linemod_lang", "en")  # in English, the English text
    assert "LINE platform incident" in (await other.get("/console/announcements/banner")).text
    assert "LINE platform incident" in (await other.get("/console/announcements")).text

    # the mail opt-in on the account page
    setting = await operator.get("/console/account/announcement-mails", headers={"HX-Request": "true"})
    assert 'data-testid="announcement-mail-optin"' in setting.text and "checked" not in setting.text
    assert (await operator.post("/console/account/announcement-mails", {"subscribe": "on"})).status_code == 303
    setting = await operator.get("/console/account/announcement-mails", headers={"HX-Request": "true"})
    assert "checked" in setting.text


async def test_reports_page_csv_and_bad_ranges(console: Console) -> None:
    staff = await console.staff()
    page = await staff.get("/provider/support/reports", params={"from": "2027-01-01", "to": "2027-01-31"})
    assert page.status_code == 200 and "<svg" in page.text and 'data-testid="backlog"' in page.text
    csv_answer = await staff.get("/provider/support/reports.csv", params={"from": "2027-01-01", "to": "2027-01-31"})
    assert csv_answer.status_code == 200 and csv_answer.headers["content-type"].startswith("text/csv")
    assert csv_answer.text.lstrip("\ufeff").startswith("group,key,label,tickets")
    for params in (
        {"from": "2027-02-01", "to": "2027-01-01"},
        {"from": "2020-01-01", "to": "2027-01-01"},
        {"from": "yesterday"},
        {"to": "2027-02-30"},
        {"from": "99999-01-01"},
    ):
        answer = await staff.get("/provider/support/reports", params=params)
        assert answer.status_code == 400 and 'data-testid="bad-parameter"' in answer.text, params
        assert (await staff.get("/provider/support/reports.csv", params=params)).status_code == 400
    staff.http.cookies.set("linemod_lang", "en")
    for url in (
        "/provider/support/reports",
        "/provider/support/articles/new",
        "/provider/support/announcements/new",
        "/help",
    ):
        english = await staff.get(url)
        assert english.status_code == 200 and 'lang="en"' in english.text, url
    assert "Help desk reports" in (await staff.get("/provider/support/reports")).text
