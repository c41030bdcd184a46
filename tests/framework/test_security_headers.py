"""Every page the module serves carries the security headers; the webhook (LINE's, not a browser's) does not
pay for them."""

from __future__ import annotations

from linemod.framework.app import ModuleApp
from linemod.framework.security_headers import CONTENT_SECURITY_POLICY
from tests.framework.helpers import Running, make_settings, message_event


async def test_pages_carry_the_security_headers_and_the_webhook_is_left_alone(db) -> None:  # type: ignore[no-untyped-def]
    async with Running(ModuleApp(make_settings(), database=db), workers=False) as run:
        pages = [
            await run.http.get("/console/signin"),
            await run.http.get("/attach/callback"),  # the attach result page (here: a bad request)
            await run.http.get("/console/static/console.js"),
        ]
        webhook = await run.post_webhook([message_event("hi")])
    for page in pages:
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, page.url
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "same-origin"
        assert page.headers["x-frame-options"] == "DENY"
    assert "content-security-policy" not in webhook.headers
