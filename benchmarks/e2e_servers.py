"""The two reference servers of `benchmarks/e2e.py`, each run in its own process:

    python benchmarks/e2e_servers.py sdk|floor --port P --channel-id ID --channel-secret S --line-url URL

sdk    what module developers write today from the line-bot-sdk examples: FastAPI, `WebhookParser` (signature
       check and typed events) and `AsyncMessagingApi.reply_message` inside the webhook request, with the
       module channel's bot-ID header on every call
floor  the least a replying server can do: no signature check, no SDK models; `json.loads` for the reply
       tokens and one hand-written reply request per event, inside the webhook request
"""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

BOT_ID_HEADER = "X-Line-Bot-Id"


async def channel_token(line_url: str, channel_id: str, secret: str) -> str:
    """A stateless channel access token, as a module channel gets one (client credentials)."""
    async with aiohttp.ClientSession() as session:
        form = {"grant_type": "client_credentials", "client_id": channel_id, "client_secret": secret}
        async with session.post(f"{line_url}/oauth2/v3/token", data=form) as response:
            response.raise_for_status()
            return str((await response.json())["access_token"])


def sdk_app(args: argparse.Namespace) -> FastAPI:
    from linebot.v3 import WebhookParser
    from linebot.v3.exceptions import InvalidSignatureError
    from linebot.v3.messaging import (
        AsyncApiClient,
        AsyncMessagingApi,
        Configuration,
        ReplyMessageRequest,
        TextMessage,
    )
    from linebot.v3.webhooks import MessageEvent, TextMessageContent

    parser = WebhookParser(args.channel_secret)
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        token = await channel_token(args.line_url, args.channel_id, args.channel_secret)
        client = AsyncApiClient(Configuration(host=args.line_url, access_token=token))
        state["api"] = AsyncMessagingApi(client)
        yield
        await client.close()

    api = FastAPI(lifespan=lifespan)

    @api.post("/webhook")
    async def webhook(request: Request) -> JSONResponse:
        body = (await request.body()).decode()
        try:
            payload = parser.parse(body, request.headers.get("x-line-signature", ""), as_payload=True)
        except InvalidSignatureError:
            return JSONResponse({"message": "invalid signature"}, status_code=400)
        messaging: AsyncMessagingApi = state["api"]
        for event in payload.events:
            if isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
                await messaging.reply_message(
                    ReplyMessageRequest(reply_token=event.reply_token, messages=[TextMessage(text=event.message.text)]),
                    _headers={BOT_ID_HEADER: payload.destination},
                )
        return JSONResponse({})

    return api


def floor_app(args: argparse.Namespace) -> FastAPI:
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state["auth"] = "Bearer " + await channel_token(args.line_url, args.channel_id, args.channel_secret)
        async with aiohttp.ClientSession(args.line_url) as session:
            state["session"] = session
            yield

    api = FastAPI(lifespan=lifespan)

    @api.post("/webhook")
    async def webhook(request: Request) -> JSONResponse:
        payload = json.loads(await request.body())
        session: aiohttp.ClientSession = state["session"]
        headers = {"Authorization": state["auth"], BOT_ID_HEADER: payload["destination"]}
        for event in payload["events"]:
            if event.get("type") == "message" and event["message"].get("type") == "text":
                text = event["message"]["text"]
                reply = {"replyToken": event["replyToken"], "messages": [{"type": "text", "text": text}]}
                async with session.post("/v2/bot/message/reply", json=reply, headers=headers) as response:
                    await response.read()
        return JSONResponse({})

    return api


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["sdk", "floor"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--channel-id", required=True)
    parser.add_argument("--channel-secret", required=True)
    parser.add_argument("--line-url", required=True)
    args = parser.parse_args()
    app = sdk_app(args) if args.kind == "sdk" else floor_app(args)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
