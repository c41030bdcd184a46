"""Regenerates docs/screenshots/: every simulator page of the emulator, at 1280 and 375 px wide.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Starts an emulator on loopback, plays a small story through its public APIs only (a module is
attached through the OAuth flow, a person chats, the module answers with text, a Flex bubble, a
template with a datetime picker, quick replies and a rich menu), then photographs each page with
Debian's Chromium (`/usr/bin/chromium`, driven by Playwright). Pictures the module "hosts" on
https://img.linemod.test/ are drawn here with Pillow and served by Playwright's routing, so
nothing leaves the machine. Japanese text needs a CJK font (Debian: fonts-noto-cjk) and emoji
need fonts-noto-color-emoji; without them the pictures show empty boxes.
"""

from __future__ import annotations

import argparse
import io
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import uvicorn
from PIL import Image, ImageDraw, ImageFont
from playwright.sync_api import Page, Route, sync_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route as StarletteRoute

from linemod.emulator import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
IMAGES = "https://img.linemod.test"
CALLBACK = "https://reserve.example/line/callback"
FONT_PATHS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
              "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the script keeps Ctrl-C
        pass


@contextmanager
def serve(app: Any) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONT_PATHS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def png(width: int, height: int, colors: tuple[str, str], label: str = "") -> bytes:
    """A soft two-tone picture with an optional caption: stand-in photos for the module's images."""
    image = Image.new("RGB", (width, height), colors[0])
    draw = ImageDraw.Draw(image)
    draw.ellipse((width * 0.55, -height * 0.3, width * 1.3, height * 0.8), fill=colors[1])
    draw.rectangle((0, height * 0.72, width, height), fill=colors[1])
    if label:
        draw.text((width * 0.06, height * 0.1), label, fill="#ffffff", font=font(int(height * 0.16)))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def rich_menu_png() -> bytes:
    """2500x843, three tiles: what the areas of the story's rich menu say."""
    image = Image.new("RGB", (2500, 843), "#ffffff")
    draw = ImageDraw.Draw(image)
    tiles = (("#06C755", "予約する", "Reserve"), ("#1f8f5f", "メニュー", "Menu"),
             ("#2f6fd6", "日付を選ぶ", "Pick a date"))
    for index, (fill, ja, en) in enumerate(tiles):
        left = index * 833
        draw.rectangle((left + 12, 12, left + 821, 831), fill=fill)
        draw.text((left + 416, 360), ja, fill="#ffffff", font=font(110), anchor="mm")
        draw.text((left + 416, 520), en, fill="#e8fff1", font=font(64), anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


PICTURES = {
    "/cafe.png": lambda: png(1040, 690, ("#f3c98b", "#d98b4a"), "Cafe Sakura"),
    "/latte.png": lambda: png(600, 600, ("#e9d5c3", "#a86f4c"), "Latte"),
    "/cake.png": lambda: png(600, 600, ("#f7c6d0", "#e07a93"), "Cake"),
    "/seat.png": lambda: png(1040, 700, ("#b9e3c9", "#4fb07c"), "Seats"),
}


def module_receiver(calls: list[int]) -> Starlette:
    """The module's webhook: its first answer is a 500, so the inspector shows a redelivery."""

    async def hook(request: Request) -> JSONResponse:
        await request.body()
        calls.append(1)
        return JSONResponse({}, status_code=500 if len(calls) == 1 else 200)

    return Starlette(routes=[StarletteRoute("/webhook", hook, methods=["POST"])])


def reservation_messages() -> list[dict[str, Any]]:
    hero = {"type": "image", "url": f"{IMAGES}/cafe.png", "size": "full", "aspectRatio": "20:13", "aspectMode": "cover"}
    row = lambda k, v: {"type": "box", "layout": "baseline", "spacing": "sm", "contents": [  # noqa: E731
        {"type": "text", "text": k, "color": "#aaaaaa", "size": "sm", "flex": 2},
        {"type": "text", "text": v, "wrap": True, "color": "#666666", "size": "sm", "flex": 5}]}
    flex = {"type": "flex", "altText": "ご予約内容", "contents": {
        "type": "bubble", "hero": hero,
        "body": {"type": "box", "layout": "vertical", "contents": [
            {"type": "text", "text": "ご予約内容の確認", "weight": "bold", "size": "xl"},
            {"type": "box", "layout": "vertical", "margin": "lg", "spacing": "sm", "contents": [
                row("店舗", "カフェさくら 渋谷店"), row("日時", "6月14日(土) 14:00"), row("人数", "2名")]},
        ]},
        "footer": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": [
            {"type": "button", "style": "primary", "height": "sm",
             "action": {"type": "postback", "label": "予約を確定", "data": "confirm=1",
                        "displayText": "予約を確定します"}},
            {"type": "button", "style": "link", "height": "sm",
             "action": {"type": "uri", "label": "お店の地図", "uri": "https://reserve.example/map"}},
        ]}}}
    picker = {"type": "template", "altText": "日付を選んでください", "template": {
        "type": "buttons", "thumbnailImageUrl": f"{IMAGES}/seat.png", "title": "来店予約",
        "text": "ご希望の日付を選んでください", "actions": [
            {"type": "datetimepicker", "label": "日付を選ぶ", "data": "pick=date", "mode": "date",
             "initial": "2025-06-14", "min": "2025-06-01", "max": "2025-07-31"},
            {"type": "postback", "label": "空き状況を見る", "data": "vacancy", "displayText": "空き状況"}]},
        "quickReply": {"items": [
            {"type": "action", "action": {"type": "message", "label": "今日", "text": "今日"}},
            {"type": "action", "action": {"type": "message", "label": "明日", "text": "明日"}},
            {"type": "action", "action": {"type": "datetimepicker", "label": "日時を指定", "data": "pick=dt",
                                          "mode": "datetime"}},
            {"type": "action", "action": {"type": "location", "label": "位置情報"}}]}}
    text = "こんにちは！カフェさくらです $ ご予約はこちらから承ります。"
    greeting = {"type": "text", "text": text,
                "emojis": [{"index": text.index("$"), "productId": "5ac1bfd5040ab15980c9b435", "emojiId": "001"}]}
    return [greeting, flex, picker]


def seed(base: str, hook_url: str) -> dict[str, str]:
    """The story, through the control API and the LINE APIs only; returns IDs the pages need."""
    http = httpx.Client(base_url=base, timeout=15)

    def call(method: str, path: str, **kwargs: Any) -> Any:
        answer = http.request(method, path, **kwargs)
        if answer.is_error:
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.text}")
        return answer.json() if answer.content else None

    module = call("POST", "/_emulator/module-channels", json={
        "name": "来店予約", "description": "LINEから席の予約・変更・キャンセルができます。",
        "webhook_url": hook_url, "redirect_uris": [CALLBACK], "redelivery": True})
    points = call("POST", "/_emulator/module-channels", json={
        "name": "ポイントカード", "description": "来店ポイントを貯めて使えるデジタル会員証。",
        "webhook_url": None, "redirect_uris": [CALLBACK], "default_active": True})
    cafe = call("POST", "/_emulator/accounts", json={"display_name": "カフェさくら", "basic_id": "@123sakura"})
    call("POST", "/_emulator/accounts", json={"display_name": "Sakura Hair Salon", "brand_type": "premium"})
    call("POST", "/_emulator/accounts", json={"display_name": "台北ベーカリー", "region": "TW",
                                              "brand_type": "unverified"})
    hanako = call("POST", "/_emulator/users", json={"display_name": "山田花子"})
    taro = call("POST", "/_emulator/users", json={"display_name": "佐藤太郎"})
    bot_id, user_id = cafe["bot_id"], hanako["user_id"]

    scopes = "message:send message:receive account:manage profile:read"
    authorize = f"{base}/module/auth/v1/authorize?" + urlencode({
        "response_type": "code", "client_id": module["channel_id"], "redirect_uri": CALLBACK, "scope": scopes,
        "state": "story1"})
    redirect = call("POST", "/_emulator/authorize", json={"authorize_url": authorize, "bot_id": bot_id,
                                                          "decision": "approve"})["redirect_url"]
    code = parse_qs(urlsplit(redirect).query)["code"][0]
    http.post("/module/auth/v1/token", data={"grant_type": "authorization_code", "code": code,
                                             "redirect_uri": CALLBACK},
              auth=(module["channel_id"], module["channel_secret"])).raise_for_status()
    token = http.post("/oauth2/v3/token", data={"grant_type": "client_credentials", "client_id": module["channel_id"],
                                                "client_secret": module["channel_secret"]}).json()["access_token"]
    as_module = {"Authorization": f"Bearer {token}", "X-Line-Bot-Id": bot_id}

    menu = {"size": {"width": 2500, "height": 843}, "selected": True, "name": "メインメニュー",
            "chatBarText": "メニュー",
            "areas": [
                {"bounds": {"x": 0, "y": 0, "width": 833, "height": 843},
                 "action": {"type": "postback", "label": "予約する", "data": "reserve", "displayText": "予約する"}},
                {"bounds": {"x": 833, "y": 0, "width": 834, "height": 843},
                 "action": {"type": "message", "label": "メニュー", "text": "メニューを見せて"}},
                {"bounds": {"x": 1667, "y": 0, "width": 833, "height": 843},
                 "action": {"type": "datetimepicker", "label": "日付を選ぶ", "data": "menu-date", "mode": "date"}}]}
    menu_id = call("POST", "/v2/bot/richmenu", json=menu, headers=as_module)["richMenuId"]
    call("POST", f"/v2/bot/richmenu/{menu_id}/content", content=rich_menu_png(),
         headers={**as_module, "Content-Type": "image/png"})
    call("POST", f"/v2/bot/user/all/richmenu/{menu_id}", headers=as_module)

    ids = call("POST", f"/_emulator/accounts/{bot_id}/friends", json={"user_id": user_id})["ids"]
    call("POST", f"/_emulator/accounts/{bot_id}/friends", json={"user_id": taro["user_id"]})
    seen = ids[module["channel_id"]]
    chat = f"/_emulator/accounts/{bot_id}/chats/{user_id}"
    call("POST", f"{chat}/messages", json={"type": "sticker", "packageId": "446", "stickerId": "1992"})
    call("POST", f"{chat}/operator-messages", json={"text": "担当の鈴木です。窓際の席もご用意できます。"})
    call("POST", f"{chat}/messages", json={"type": "text", "text": "今週末に2名で予約できますか？"})
    call("POST", "/v2/bot/message/push", json={"to": seen, "messages": reservation_messages()}, headers=as_module)
    call("POST", "/_emulator/deliveries/flush", json={"timeout_seconds": 10})
    call("POST", "/_emulator/clock/advance", json={"seconds": 2})  # the first delivery is redelivered
    call("POST", "/_emulator/deliveries/flush", json={"timeout_seconds": 10})
    consent = f"{base}/module/auth/v1/authorize?" + urlencode({
        "response_type": "code", "client_id": points["channel_id"], "redirect_uri": CALLBACK,
        "scope": "message:send message:receive profile:read", "state": "story2", "region": "JP"})
    return {"bot_id": bot_id, "user_id": user_id, "consent": consent}


def serve_pictures(route: Route) -> None:
    make = PICTURES.get(urlsplit(route.request.url).path)
    if make is None:
        route.fulfill(status=404, body=b"")
    else:
        route.fulfill(status=200, body=make(), headers={"Content-Type": "image/png"})


def shoot(base: str, story: dict[str, str], out: Path) -> list[Path]:
    bot, user = story["bot_id"], story["user_id"]
    pages: list[tuple[str, str, tuple[int, ...], bool]] = [  # name, path, widths, full page
        ("home", "/_pages/", (1280, 375), True),
        ("app-chats", f"/_pages/app?user={user}", (1280,), False),
        ("app-chat", f"/_pages/app/{bot}/{user}", (1280, 375), False),
        ("app-flex", f"/_pages/app/{bot}/{user}", (375,), False),
        ("consent", story["consent"], (1280, 375), True),
        ("manager", "/_pages/manager", (1280,), True),
        ("manager-account", f"/_pages/manager/{bot}", (1280, 375), True),
        ("manager-chat", f"/_pages/manager/{bot}/chats/{user}", (1280, 375), False),
        ("inspector-deliveries", "/_pages/inspector", (1280, 375), True),
        ("inspector-requests", "/_pages/inspector/requests", (1280,), True),
        ("setup", "/_pages/setup", (1280,), True),
        ("app-chat-en", f"/_pages/app/{bot}/{user}?lang=en", (1280,), False),  # last: English sticks (cookie)
    ]
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for width in (1280, 375):
            context = browser.new_context(viewport={"width": width, "height": 860 if width > 600 else 760},
                                          locale="ja-JP")
            context.route(f"{IMAGES}/**", serve_pictures)
            page = context.new_page()
            for name, path, widths, full in pages:
                if width not in widths:
                    continue
                page.goto(path if path.startswith("http") else base + path)
                prepare(page, name)
                target = out / f"{name}-{width}.png"
                page.screenshot(path=str(target), full_page=full)
                written.append(target)
            context.close()
        browser.close()
    return written


def prepare(page: Page, name: str) -> None:
    """Gives each page a moment to settle, and opens what is worth seeing."""
    page.wait_for_load_state("networkidle")
    if name == "inspector-deliveries":
        page.locator("details.delivery").first.evaluate("d => d.open = true")
    if name == "app-flex":  # the Flex bubble and the greeting with its LINE emoji, above the fold
        page.locator("#chat-log .kind-flex").evaluate("row => row.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(200)
    page.wait_for_timeout(300)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "docs" / "screenshots"))
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    calls: list[int] = []
    with serve(module_receiver(calls)) as hooks, serve(create_app()) as base:
        story = seed(base, f"{hooks}/webhook")
        for path in shoot(base, story, out):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
