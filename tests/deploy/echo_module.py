"""The module the deployment test runs in its `linemod serve` and `linemod worker` processes (settings come from
the environment file of docs/deploy.md): it answers every text with an echo, and says which client IP and scheme
a request was taken to come from."""

from __future__ import annotations

import asyncio
import os

from fastapi import Request
from linebot.v3.messaging import TextMessage
from sqlalchemy import text

from linemod.framework.app import ModuleApp
from linemod.framework.console.web import client_ip

app = ModuleApp()

HANDLER_SECONDS = 0.1
"""Long enough that a SIGTERM to a worker under load finds handlers in the middle of their work."""


@app.on_message(type="text")
async def echo(ctx, event) -> None:  # type: ignore[no-untyped-def]
    # Written in the handler's transaction, which commits with the event's "done": a row per event handled.
    await ctx.db.execute(
        text("INSERT INTO deploy_handled (webhook_event_id, message, pid) VALUES (:e, :m, :p)"),
        {"e": event.webhook_event_id, "m": event.message.text, "p": os.getpid()},
    )
    await asyncio.sleep(HANDLER_SECONDS)
    await ctx.reply(TextMessage(text=f"echo: {event.message.text}"))


@app.router.get("/seen-client")
async def seen_client(request: Request) -> dict[str, str]:
    """What the consoles' sign-in limits would count this request by, and the scheme of the URLs built for it."""
    return {"ip": client_ip(request), "scheme": request.url.scheme}
