"""The README quick start (an echo module in under 20 lines) works as written, against the emulator."""

from __future__ import annotations

import types

from linemod.framework.app import ModuleApp
from linemod.framework.settings import Settings
from tests.framework.helpers import wait_for
from tests.framework.test_e2e_emulator import World

QUICKSTART = """
from linebot.v3.messaging import TextMessage
from linemod import ModuleApp

app = ModuleApp()  # LINEMOD_CHANNEL_ID, LINEMOD_CHANNEL_SECRET, LINEMOD_LINE_BASE_URL, ...

@app.on_lifecycle("attached")
async def attached(ctx, event):
    print("attached to", ctx.tenant.display_name)

@app.on_message(type="text")
async def echo(ctx, event):
    await ctx.reply(TextMessage(text=event.message.text))

asgi = app.asgi()  # or: linemod db upgrade && linemod serve echo:app
"""


def test_the_quick_start_is_short() -> None:
    assert len(QUICKSTART.strip().splitlines()) < 20


async def test_the_quick_start_echoes_against_the_emulator(line_emulator: str, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def quickstart(settings: Settings) -> ModuleApp:
        for name in ("channel_id", "channel_secret", "line_base_url", "public_base_url", "database_url"):
            monkeypatch.setenv(f"LINEMOD_{name.upper()}", str(getattr(settings, name)))
        if settings.database_schema:
            monkeypatch.setenv("LINEMOD_DATABASE_SCHEMA", settings.database_schema)
        module = types.ModuleType("echo")
        exec(compile(QUICKSTART, "echo.py", "exec"), module.__dict__)
        return module.app  # type: ignore[no-any-return]

    world = World(line_emulator, db, module=quickstart)
    with world.server:
        world.attach()
        world.say("ping")
        await wait_for(lambda: "ping" in world.texts_from_module(), timeout=15)
    world.browser.close()
    world.emu.close()
