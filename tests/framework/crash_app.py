"""The module the crash test runs in a `linemod worker` subprocess (settings come from LINEMOD_*)."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from linemod.framework.app import ModuleApp

app = ModuleApp()


@app.on_message()
async def record(ctx, event) -> None:  # type: ignore[no-untyped-def]
    await ctx.db.execute(
        text("INSERT INTO effects (event_id, chat_id, seq) VALUES (:e, :c, :s)"),
        {"e": event.webhook_event_id, "c": ctx.chat_id, "s": int(event.message.text)},
    )
    await asyncio.sleep(0.05)  # long enough that a SIGKILL lands in the middle of some events
