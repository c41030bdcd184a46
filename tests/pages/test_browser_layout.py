"""Every page fits a 375 px phone and a 1280 px desktop, and every word is in the catalog."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from linemod.emulator.pages.catalog import MESSAGES
from tests.pages.conftest import new_context
from tests.support.flows import attach
from tests.support.servers import Emulator, WebhookReceiver

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "linemod" / "emulator" / "http" / "templates" / "pages"
FLEX = {"type": "flex", "altText": "f", "contents": {"type": "carousel", "contents": [
    {"type": "bubble", "body": {"type": "box", "layout": "horizontal", "contents": [
        {"type": "text", "text": "とても長いテキストがここに入ります。" * 4, "wrap": True},
        {"type": "button", "style": "primary", "action": {"type": "message", "label": "OK", "text": "ok"}}]}}] * 3}}


def test_every_word_a_template_asks_for_is_in_the_catalog() -> None:
    asked = set()
    for template in TEMPLATES.glob("*.html"):
        asked.update(re.findall(r"""\bt\(["']([a-z_]+\.[A-Za-z_.]+)["']\s*[,)]""", template.read_text()))
    assert asked, "no template asks for words?"
    assert sorted(asked - set(MESSAGES)) == []


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 1280])
def test_pages_fit_the_screen(browser: Browser, emulator: Emulator, receiver: WebhookReceiver, width: int) -> None:
    att = attach(emulator, receiver.url)
    emulator.call("POST", "/v2/bot/message/push", expect=200, headers=att.headers,
                  json={"to": att.user_id, "messages": [{"type": "text", "text": "x" * 300}, FLEX]})
    emulator.call("POST", f"/_emulator/accounts/{att.bot_id}/chats/{att.person['user_id']}/operator-messages",
                  json={"text": "operator"})
    emulator.flush()
    user = att.person["user_id"]
    paths = ["/_pages/", "/_pages/app", f"/_pages/app/{att.bot_id}/{user}", "/_pages/manager",
             f"/_pages/manager/{att.bot_id}", f"/_pages/manager/{att.bot_id}/chats/{user}", "/_pages/inspector",
             "/_pages/inspector/requests", "/_pages/setup"]
    context = new_context(browser, width)
    page = context.new_page()
    try:
        for path in paths:
            page.goto(emulator.url + path)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, width, overflow)
            nav = page.locator(".topnav a")
            # Every section stays reachable: the links are on screen, not scrolled away. (A phone's
            # chat screen has no top bar, as in the LINE app: its back arrow leads to the chat list.)
            if nav.last.is_visible():
                box = nav.last.bounding_box()
                assert box is not None and box["x"] + box["width"] <= width, (path, box)
    finally:
        context.close()
