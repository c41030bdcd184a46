"""The README quick start (an echo module in under 20 lines) works as written, against the emulator."""

from __future__ import annotations

import types
from pathlib import Path

from linemod.framework.app import ModuleApp
from linemod.framework.settings import Settings
from tests.framework.helpers import wait_for
from tests.framework.test_e2e_emulator import World

README = Path(__file__).resolve().parents[2] / "README.md"
# The module exactly as README shows it: the first Python block that starts with "# echo.py".
QUICKSTART = README.read_text().split("```python\n# echo.py\n", 1)[1].split("```", 1)[0]


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
