"""The self-service pages through HTTP on both databases: staff write and publish help articles, readers see
what they may, announcements reach the operators' banner and go when dismissed, staff read the reports;
operators get 404 on staff URLs, forms need their CSRF token, bad input is a 400 page."""

from __future__ import annotations

import re

from tests.framework.console.conftest import Console, console  # noqa: F401  (the fixture)

ARTICLE = {
    "lang": "ja",
    "category": "予約",
    "visibility": "public",
    "title": "予約を変更する方法",
    "body": "予約一覧から予約を選び、**変更する**を押します。\n\n<script>alert('x')</script>",
}


async def test_staff_write_and_publish_an_article_that_readers_find(console: Console) -> None:  # noqa: F811
    staff = await console.staff()
    answer = await staff.post("/provider/support/articles/new", ARTICLE)
    assert answer.status_code == 303
    path = answer.headers["location"].split("?")[0]
    article_id = int(path.rsplit("/", 1)[1])
    edit = await staff.get(path)
    assert "<strong>変更する</strong>" in edit.text and "<script>alert" not in edit.text

    reader = console.browser()
    assert (await reader.get(f"/help/articles/{article_id}")).status_code == 404  # a draft
    assert (await staff.post(f"{path}/publish")).status_code == 303
    page = await reader.get(f"/help/articles/{article_id}")
    assert page.status_code == 200 and "予約を変更する方法" in page.text
    assert "&lt;script&gt;alert" in page.text and "<script>alert" not in page.text
    found = await reader.get("/help", params={"q": "予約の変更"})
    assert f'href="/help/articles/{article_id}"' in found.text
    suggestions = await reader.get("/help/suggest", params={"q": "予約の日時を変更したい"})
    assert suggestions.status_code == 200 and "<html" not in suggestions.text
    assert re.search(rf'data-testid="help-suggestion"><a href="/help/articles/{article_id}"', suggestions.text)
    assert 'help-suggestion"' not in (await reader.get("/help/suggest", params={"q": "天気"})).text


async def test_operators_only_articles_and_staff_urls(console: Console) -> None:  # noqa: F811
    staff = await console.staff()
    answer = await staff.post("/provider/support/articles/new", {**ARTICLE, "visibility": "operators"})
    path = answer.headers["location"].split("?")[0]
    await staff.post(f"{path}/publish")
    article_id = path.rsplit("/", 1)[1]

    anonymous = console.browser()
    answer = await anonymous.get(f"/help/articles/{article_id}")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/signin")
    assert "予約を変更する方法" not in (await anonymous.get("/help")).text
    operator = await console.operator("hanako@sakura.example")
    assert (await operator.get(f"/help/articles/{article_id}")).status_code == 200
    assert "予約を変更する方法" in (await operator.get("/help")).text
    for url in ("/provider/support/articles", path, "/provider/support/announcements", "/provider/support/reports"):
        assert (await operator.get(url)).status_code == 404, url
    assert (await operator.post(f"{path}/unpublish")).status_code == 404
    assert (await operator.get("/help/articles/99999999999999999999")).status_code == 404


async def test_article_forms_check_their_input_and_token(console: Console) -> None:  # noqa: F811
    staff = await console.staff()
    bad = await staff.post("/provider/support/articles/new", {**ARTICLE, "title": "", "lang": "fr"})
    assert bad.status_code == 400 and 'data-testid="error"' in bad.text
    assert (await staff.post("/provider/support/articles/new", ARTICLE, csrf=False)).status_code == 403
    assert (await staff.get("/provider/support/articles/abc")).status_code == 404
    # a NUL, which PostgreSQL refuses in text, is dropped from what is stored and from what is searched
    saved = await staff.post("/provider/support/articles/new", {**ARTICLE, "title": "予約\x00の変更"})
    assert saved.status_code == 303
    assert "予約の変更" in (await staff.get(saved.headers["location"])).text
    for params in ({"q": "予約\x00"}, {"category": "予約\x00"}):
        assert (await staff.get("/help", params=params)).status_code == 200
    assert (await staff.get("/help/suggest", params={"q": "\x00"})).status_code == 200
    assert "予約を変更する方法" not in (await staff.get("/provider/support/articles")).text


async def test_an_announcement_shows_as_a_banner_until_dismissed(console: Console) -> None:  # noqa: F811
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


async def test_the_mail_opt_in_on_the_account_page(console: Console) -> None:  # noqa: F811
    operator = await console.operator("hanako@sakura.example")
    setting = await operator.get("/console/account/announcement-mails", headers={"HX-Request": "true"})
    assert 'data-testid="announcement-mail-optin"' in setting.text and "checked" not in setting.text
    saved = await operator.post("/console/account/announcement-mails", {"subscribe": "on"})
    assert saved.status_code == 303
    setting = await operator.get("/console/account/announcement-mails", headers={"HX-Request": "true"})
    assert "checked" in setting.text


async def test_reports_page_csv_and_bad_ranges(console: Console) -> None:  # noqa: F811
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
