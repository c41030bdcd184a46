"""A tiny module for the browser tests: the provider's side, just enough to answer on screen.

It finishes the attach flow at `/callback` (code exchange, a stateless token, a rich menu with a
Pillow-drawn image set as the OA's default), and answers webhooks through the Reply API: a text
with quick replies, and on "予約" also a Flex bubble and a template with a datetime picker.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
from PIL import Image, ImageDraw
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

MENU_AREAS: list[dict[str, Any]] = [
    {"bounds": {"x": 0, "y": 0, "width": 1250, "height": 843},
     "action": {"type": "message", "label": "メニュー", "text": "メニュー"}},
    {"bounds": {"x": 1250, "y": 0, "width": 1250, "height": 843},
     "action": {"type": "postback", "label": "予約する", "data": "menu=reserve", "displayText": "予約する"}},
]
PICKER = {"type": "datetimepicker", "label": "日付を選ぶ", "data": "pick=date", "mode": "date",
          "initial": "2025-06-14", "min": "2025-06-01", "max": "2025-07-31"}


@dataclass
class StandIn:
    emulator_url: str
    url: str = ""
    channel_id: str = ""
    channel_secret: str = ""
    token: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/webhook"

    @property
    def callback_url(self) -> str:
        return f"{self.url}/callback"

    def events_of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("type") == kind]


def menu_image() -> bytes:
    image = Image.new("RGB", (2500, 843), "#06C755")
    draw = ImageDraw.Draw(image)
    draw.rectangle((1250, 0, 2500, 843), fill="#2F6FD6")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def quick_reply() -> dict[str, Any]:
    return {"items": [
        {"type": "action", "action": {"type": "message", "label": "はい", "text": "はい"}},
        {"type": "action", "action": {"type": "postback", "label": "あとで", "data": "later", "displayText": "あとで"}},
    ]}


def answers_to(event: dict[str, Any]) -> list[dict[str, Any]]:
    kind = event.get("type")
    if kind == "follow":
        return [{"type": "text", "text": "友だち追加ありがとうございます！"}]
    if kind == "postback":
        postback = event["postback"]
        params = " ".join(f"{k}={v}" for k, v in sorted((postback.get("params") or {}).items()))
        return [{"type": "text", "text": f"postback: {postback['data']} {params}".strip()}]
    if kind == "message" and event["message"].get("type") == "text":
        text = event["message"]["text"]
        out: list[dict[str, Any]] = [{"type": "text", "text": f"受信: {text}", "quickReply": quick_reply()}]
        if text == "予約":
            out.insert(0, {"type": "flex", "altText": "ご予約", "contents": {
                "type": "bubble",
                "body": {"type": "box", "layout": "vertical", "contents": [
                    {"type": "text", "text": "ご予約の確認", "weight": "bold", "size": "xl"},
                    {"type": "separator", "margin": "md"},
                    {"type": "text", "text": "2名 · 14:00", "margin": "md"}]},
                "footer": {"type": "box", "layout": "vertical", "contents": [
                    {"type": "button", "style": "primary",
                     "action": {"type": "postback", "label": "確定する", "data": "confirm"}}]}}})
            out.insert(1, {"type": "template", "altText": "日付を選んでください", "template": {
                "type": "buttons", "text": "ご希望の日付を選んでください", "actions": [PICKER]}})
        return out
    return []


def standin_app(module: StandIn) -> Starlette:
    def line(bot_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {module.token}", "X-Line-Bot-Id": bot_id}

    async def callback(request: Request) -> Response:
        code = request.query_params.get("code")
        if not code:
            return HTMLResponse(f"<h1 id='result'>not attached: {request.query_params.get('error')}</h1>")
        async with httpx.AsyncClient(base_url=module.emulator_url, timeout=10) as http:
            answer = await http.post("/module/auth/v1/token", data={
                "grant_type": "authorization_code", "code": code, "redirect_uri": module.callback_url,
            }, auth=(module.channel_id, module.channel_secret))
            if answer.status_code != 200:
                return HTMLResponse(f"<h1 id='result'>token call failed: {answer.text}</h1>", status_code=500)
            bot_id = answer.json()["bot_id"]
            issued = await http.post("/oauth2/v3/token", data={
                "grant_type": "client_credentials", "client_id": module.channel_id,
                "client_secret": module.channel_secret})
            module.token = issued.json()["access_token"]
            menu = await http.post("/v2/bot/richmenu", headers=line(bot_id), json={
                "size": {"width": 2500, "height": 843}, "selected": True, "name": "test menu",
                "chatBarText": "メニュー", "areas": MENU_AREAS})
            menu_id = menu.json()["richMenuId"]
            await http.post(f"/v2/bot/richmenu/{menu_id}/content", content=menu_image(),
                            headers={**line(bot_id), "Content-Type": "image/png"})
            await http.post(f"/v2/bot/user/all/richmenu/{menu_id}", headers=line(bot_id))
        return HTMLResponse("<h1 id='result'>attached</h1>")

    async def reply(body: dict[str, Any]) -> None:
        async with httpx.AsyncClient(base_url=module.emulator_url, timeout=10) as http:
            for event in body["events"]:
                messages = answers_to(event)
                if not messages or "replyToken" not in event:
                    continue
                answer = await http.post("/v2/bot/message/reply", headers=line(body["destination"]),
                                         json={"replyToken": event["replyToken"], "messages": messages})
                if answer.status_code != 200:
                    module.problems.append(f"reply: {answer.status_code} {answer.text}")

    async def webhook(request: Request) -> Response:
        raw = await request.body()
        expected = base64.b64encode(hmac.new(module.channel_secret.encode(), raw, hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(expected, request.headers.get("x-line-signature", "")):
            module.problems.append("bad signature")
            return JSONResponse({}, status_code=400)
        body = json.loads(raw)
        module.events.extend(body["events"])
        return JSONResponse({}, background=BackgroundTask(reply, body))

    return Starlette(routes=[Route("/callback", callback), Route("/webhook", webhook, methods=["POST"])])
