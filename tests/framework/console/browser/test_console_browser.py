"""Issue 5's story in Debian's Chromium: sign up, confirm the email from the outbox, sign in, attach an OA
through the emulator's consent screen, see its card, invite a colleague who signs up and sees the same OA;
a second operator of another OA sees nothing of the first on any console URL; provider staff replay a
dead letter and detach an OA; the language switches to English. With LINEMOD_SCREENSHOTS=1 it also
photographs the main pages into docs/screenshots/console-*.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.framework.console.browser.conftest import PASSWORD, Site

pytestmark = pytest.mark.browser


def new_context(chromium: Browser, width: int = 1280) -> BrowserContext:
    return chromium.new_context(viewport={"width": width, "height": 860}, locale="ja-JP")


def open_last_mail_link(page: Page, site: Site, to: str) -> None:
    page.goto(f"{site.base}/console/outbox")
    page.get_by_test_id("mail").filter(has_text=to).first.get_by_role("link").click()
    page.get_by_test_id("mail-view").locator("a").first.click()


def sign_up_and_in(page: Page, site: Site, email: str, *, shots: bool = False) -> None:
    page.goto(f"{site.base}/console/signup")
    form = page.get_by_test_id("signup-form")
    form.locator("[name=email]").fill(email)
    form.locator("[name=password]").fill(PASSWORD)
    if shots:
        site.shot(page, "signup")
    form.get_by_role("button").click()
    expect(page.get_by_test_id("sent")).to_be_visible()
    if shots:
        page.goto(f"{site.base}/console/outbox")
        site.shot(page, "outbox")
    open_last_mail_link(page, site, email)
    expect(page.get_by_test_id("message")).to_have_attribute("data-kind", "verified")
    page.get_by_test_id("message").get_by_role("link").click()
    form = page.get_by_test_id("signin-form")
    form.locator("[name=email]").fill(email)
    form.locator("[name=password]").fill(PASSWORD)
    form.get_by_role("button").click()
    expect(page.get_by_test_id("account-link")).to_have_text(email)


def attach_on_consent_screen(page: Page, site: Site, bot_id: str) -> None:
    page.get_by_test_id("attach").click()
    page.wait_for_url(re.compile(re.escape(site.emulator) + r"/module/auth/v1/authorize"))
    page.locator(f"input[name=bot_id][value='{bot_id}']").check()
    page.locator("button[name=decision][value=approve]").click()
    page.wait_for_url(re.compile(re.escape(f"{site.base}/console/oas/{bot_id}")))


def test_the_console_story(chromium: Browser, site: Site) -> None:
    cafe = site.control("POST", "/_emulator/accounts", json={"display_name": "カフェさくら"})
    ramen = site.control("POST", "/_emulator/accounts", json={"display_name": "らーめん風"})
    owner_ctx, colleague_ctx, rival_ctx, staff_ctx = (new_context(chromium) for _ in range(4))
    owner, colleague, rival, staff = (ctx.new_page() for ctx in (owner_ctx, colleague_ctx, rival_ctx, staff_ctx))
    try:
        # an operator signs up, confirms the address from the outbox, signs in and attaches their OA
        sign_up_and_in(owner, site, "owner@cafe.example", shots=True)
        expect(owner.get_by_test_id("no-oas")).to_be_visible()
        attach_on_consent_screen(owner, site, cafe["bot_id"])
        expect(owner.get_by_test_id("notice")).to_be_visible()
        card = owner.get_by_test_id("oa-card")
        expect(card).to_contain_text("カフェさくら")
        expect(card.get_by_test_id("basic-id")).to_have_text(cafe["basic_id"])
        expect(owner.get_by_test_id("scopes")).to_contain_text("message:receive")
        site.shot(owner, "oa")
        owner.goto(f"{site.base}/console/")
        site.shot(owner, "home")

        # they invite a colleague, who signs up from the mailed link and sees the same OA
        owner.goto(f"{site.base}/console/oas/{cafe['bot_id']}/team")
        invite = owner.get_by_test_id("invite-form")
        invite.locator("[name=email]").fill("staff@cafe.example")
        invite.get_by_role("button").click()
        expect(owner.get_by_test_id("invitations")).to_contain_text("staff@cafe.example")
        site.shot(owner, "team")
        open_last_mail_link(colleague, site, "staff@cafe.example")
        expect(colleague.get_by_test_id("invitation-text")).to_contain_text("カフェさくら")
        signup = colleague.get_by_test_id("invitation-signup")
        signup.locator("[name=password]").fill(PASSWORD)
        signup.get_by_role("button").click()
        expect(colleague.get_by_test_id("oa-card")).to_contain_text("カフェさくら")
        colleague.goto(f"{site.base}/console/")
        expect(colleague.get_by_test_id("oa-link")).to_have_count(1)

        # the extension's page and settings form are in the OA's navigation
        owner.goto(f"{site.base}/console/oas/{cafe['bot_id']}/settings/booking")
        owner.locator("[name=slot_minutes]").fill("45")
        owner.get_by_test_id("settings-form").get_by_role("button").click()
        expect(owner.get_by_test_id("notice")).to_be_visible()
        site.shot(owner, "settings")

        # an operator of another OA sees nothing of the first, on any console URL
        sign_up_and_in(rival, site, "owner@ramen.example")
        attach_on_consent_screen(rival, site, ramen["bot_id"])
        rival.goto(f"{site.base}/console/")
        expect(rival.get_by_test_id("oa-link")).to_have_count(1)
        expect(rival.locator("main")).not_to_contain_text("カフェさくら")
        paths = ["", "/team", "/reservations", "/settings/booking"]
        for path in paths:
            rival.goto(f"{site.base}/console/oas/{cafe['bot_id']}{path}")
            expect(rival.get_by_test_id("message")).to_have_attribute("data-kind", "not_found")
            expect(rival.locator("body")).not_to_contain_text("カフェさくら")
        for path in ["/provider/", f"/provider/tenants/{cafe['bot_id']}", "/provider/health", "/provider/reconcile"]:
            rival.goto(f"{site.base}{path}")
            expect(rival.get_by_test_id("message")).to_have_attribute("data-kind", "not_found")

        # a handler fails until it becomes a dead letter; provider staff replay it once it is fixed
        person = site.control("POST", "/_emulator/users", json={"display_name": "花子"})
        site.control("POST", f"/_emulator/accounts/{cafe['bot_id']}/friends", json={"user_id": person["user_id"]})
        site.failing["on"] = True
        site.control(
            "POST",
            f"/_emulator/accounts/{cafe['bot_id']}/chats/{person['user_id']}/messages",
            json={"type": "text", "text": "予約したい"},
        )
        site.flush()
        site.create_staff("ops@provider.example")
        staff.goto(f"{site.base}/console/signin")
        staff.locator("[name=email]").fill("ops@provider.example")
        staff.locator("[name=password]").fill(PASSWORD)
        staff.get_by_test_id("signin-form").get_by_role("button").click()
        expect(staff.get_by_test_id("tenants")).to_contain_text("カフェさくら")
        expect(staff.get_by_test_id("tenant-row")).to_have_count(2)
        tenant_url = f"{site.base}/provider/tenants/{cafe['bot_id']}"
        for _ in range(50):
            staff.goto(tenant_url)
            if staff.get_by_test_id("dead-letter").count():
                break
            staff.wait_for_timeout(200)
        expect(staff.get_by_test_id("dead-letter")).to_have_count(1)
        expect(staff.get_by_test_id("dead-letters")).to_contain_text("the reservation table is locked")
        site.shot(staff, "provider-tenant")
        site.failing["on"] = False
        staff.get_by_test_id("replay").click()
        expect(staff.get_by_test_id("notice")).to_be_visible()
        for _ in range(50):
            staff.goto(tenant_url)
            if staff.locator("[data-testid=event][data-status=done]").filter(has_text="message").count():
                break
            staff.wait_for_timeout(200)
        expect(staff.get_by_test_id("dead-letter")).to_have_count(0)
        expect(staff.locator("[data-testid=event][data-status=done]").filter(has_text="message")).to_have_count(1)
        staff.goto(f"{site.base}/provider/")
        site.shot(staff, "provider-tenants")
        staff.goto(f"{site.base}/provider/health")
        expect(staff.get_by_test_id("health")).to_be_visible()
        site.shot(staff, "provider-health")

        # provider staff detach the second OA, after typing its basic ID
        staff.goto(f"{site.base}/provider/tenants/{ramen['bot_id']}")
        staff.get_by_test_id("detach").click()
        staff.locator("[name=confirm]").fill(ramen["basic_id"])
        site.shot(staff, "provider-detach")
        staff.get_by_test_id("detach-form").get_by_role("button", name="連携解除").click()
        expect(staff.get_by_test_id("notice")).to_be_visible()
        expect(staff.get_by_test_id("tenant-card").get_by_test_id("state")).to_have_text("連携解除")
        assert site.control("GET", "/_emulator/state") is not None
        # the team ended with the attachment: its former operator no longer reaches the OA (issue 11)
        rival.goto(f"{site.base}/console/oas/{ramen['bot_id']}")
        expect(rival.get_by_test_id("message")).to_have_attribute("data-kind", "not_found")

        # the OA is suspended on LINE: its operators see the notice, data kept
        site.control("POST", f"/_emulator/accounts/{cafe['bot_id']}/suspend")
        site.flush()
        for _ in range(50):
            colleague.goto(f"{site.base}/console/oas/{cafe['bot_id']}")
            if colleague.get_by_test_id("state-notice").count():
                break
            colleague.wait_for_timeout(200)
        expect(colleague.get_by_test_id("state-notice")).to_have_attribute("data-state", "suspended")
        site.shot(colleague, "oa-suspended")

        # and the language switches to English, remembered on the next page
        owner.goto(f"{site.base}/console/oas/{cafe['bot_id']}/team")
        expect(owner.locator("h1")).to_have_text("チーム")
        owner.get_by_test_id("lang-en").click()
        expect(owner.locator("h1")).to_have_text("Team")
        owner.goto(f"{site.base}/console/oas/{cafe['bot_id']}")
        expect(owner.get_by_test_id("state-notice")).to_contain_text("This LINE Official Account is unavailable.")
        expect(owner.locator("html")).to_have_attribute("lang", "en")
        site.shot(owner, "oa-en")
    finally:
        for ctx in (owner_ctx, colleague_ctx, rival_ctx, staff_ctx):
            ctx.close()


@pytest.mark.parametrize("width", [375, 1280])
def test_console_pages_fit_the_screen(chromium: Browser, site: Site, width: int) -> None:
    ctx = new_context(chromium, width)
    page = ctx.new_page()
    try:
        sign_up_and_in(page, site, f"w{width}@example.com")
        oa = site.control("POST", "/_emulator/accounts", json={"display_name": "とても長い名前のカフェ・さくら本店"})
        attach_on_consent_screen(page, site, oa["bot_id"])
        for path in [
            "/console/",
            f"/console/oas/{oa['bot_id']}",
            f"/console/oas/{oa['bot_id']}/team",
            "/console/account",
        ]:
            page.goto(site.base + path)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, width, overflow)
        if width == 375:
            page.goto(f"{site.base}/console/oas/{oa['bot_id']}")
            site.shot(page, "oa-375")
    finally:
        ctx.close()
