"""The attach result pages: the framework's catalogs and language rule, every value escaped."""

from __future__ import annotations

from linemod.framework.i18n import Catalogs
from linemod.framework.tenants.attach_pages import PAGES, AttachPages


def test_japanese_by_default_english_on_request_and_values_escaped() -> None:
    pages = AttachPages(Catalogs())
    japanese = pages.render("complete", "ja", name="<script>x</script>", scopes="message:send")
    assert '<html lang="ja">' in japanese and "連携が完了しました" in japanese
    assert "&lt;script&gt;x&lt;/script&gt; にモジュールを連携しました。付与された権限: message:send" in japanese
    english = pages.render("token_failed", "en", restart_url="/attach/start", detail="timeout")
    assert "Calling LINE failed: timeout" in english and '<a href="/attach/start">Start again</a>' in english


def test_every_failure_page_has_its_japanese() -> None:
    pages = AttachPages(Catalogs())
    for kind, (title, _message) in PAGES.items():
        page = pages.render(kind, "ja", detail="x", name="x", scopes="x")
        assert f'data-attach-result="{kind}"' in page
        assert title not in page, f"{kind}: the English title was not translated"
