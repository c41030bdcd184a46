"""The public API as a module author meets it: every name importable from `linemod`, typed for mypy, and
decorators that either work bare and called or refuse misuse loudly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import linemod
from linemod import ModuleApp, Settings
from tests.framework.helpers import make_settings

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = (ROOT / "README.md").read_text().split("```python\n# echo.py\n", 1)[1].split("```", 1)[0]


def test_every_public_name_is_importable_from_linemod() -> None:
    missing = [name for name in linemod.__all__ if not hasattr(linemod, name)]
    assert missing == []
    with pytest.raises(AttributeError):
        linemod.ModuleAp  # type: ignore[attr-defined]  # noqa: B018


def test_the_package_says_it_is_typed() -> None:
    assert (Path(linemod.__file__).parent / "py.typed").is_file()


def mypy(source: str, tmp_path: Path) -> str:
    """mypy's report on `source` as module code, with the project's configuration."""
    (tmp_path / "module_code.py").write_text(source)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "--strict", "module_code.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout + result.stderr


def test_mypy_sees_the_public_api_and_catches_the_mistakes_it_should(tmp_path: Path) -> None:
    module_code = QUICKSTART.replace("from linemod import Context, ModuleApp", "from linemod import *")
    report = mypy(
        module_code
        + """
reveal_type(app.on_message)

@app.on_follow
async def followed(ctx: Context, event: MessageEvent) -> None: ...

app.on_mesage(text="hi")

@app.job("reminder")
async def remind(jctx: JobContext, payload: dict[str, object]) -> None:
    jctx.runtime
""",
        tmp_path,
    )
    assert 'Revealed type is "Overload(def [MessageHandlerT' in report, report
    assert "linebot.v3.webhooks.models.message_event.MessageEvent" in report, report  # not Any
    assert 'Value of type variable "FollowHandlerT" of "on_follow"' in report, report  # wrong event class
    assert '"ModuleApp" has no attribute "on_mesage"' in report, report
    assert '"JobContext" has no attribute "runtime"' in report, report
    assert "Found 3 errors in 1 file" in report, report  # the README's own code is clean


def app() -> ModuleApp:
    settings: Settings = make_settings()
    return ModuleApp(settings)


def test_handler_decorators_work_bare_and_called() -> None:
    module = app()

    @module.on_message
    async def any_message(ctx: linemod.Context, event: object) -> None: ...

    @module.on_message(text="hi")
    async def hi(ctx: linemod.Context, event: object) -> None: ...

    @module.on_follow
    async def followed(ctx: linemod.Context, event: object) -> None: ...

    @module.on_follow(standby=True)
    async def followed_in_standby(ctx: linemod.Context, event: object) -> None: ...

    @module.on_postback
    async def any_postback(ctx: linemod.Context, event: object) -> None: ...

    @module.on_activated
    async def activated(ctx: linemod.Context, event: object) -> None: ...

    @module.on_deactivated()
    async def deactivated(ctx: linemod.Context, event: object) -> None: ...

    @module.on_startup
    async def started(app: ModuleApp) -> None: ...

    @module.on_shutdown()
    async def stopping(app: ModuleApp) -> None: ...

    registered = [(listener.kind, listener.handler, listener.standby) for listener in module.dispatcher.listeners]
    assert registered == [
        ("message", any_message, False),
        ("message", hi, False),
        ("follow", followed, False),
        ("follow", followed_in_standby, True),
        ("postback", any_postback, False),
        ("activated", activated, False),
        ("deactivated", deactivated, False),
    ]
    assert any_message.__name__ == "any_message"  # the decorator gives the function back
    assert module._startup == [started] and module._shutdown == [stopping]


def test_decorators_that_need_an_argument_refuse_the_bare_form() -> None:
    module = app()

    async def handler(ctx: object, event: object) -> None: ...

    with pytest.raises(TypeError, match="on_lifecycle needs the kind"):
        module.on_lifecycle(handler)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="on_event needs"):
        module.on_event(handler)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="job needs"):
        module.job(handler)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="every needs"):
        module.every(handler)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="takes a string"):
        module.on_message(text=42)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="lifecycle kind"):
        module.on_lifecycle("attach")  # type: ignore[call-overload]
    assert module.dispatcher.listeners == []


def test_a_plain_function_is_refused_at_registration_not_at_the_first_event() -> None:
    module = app()

    def not_async(ctx: object, event: object) -> None: ...

    with pytest.raises(TypeError, match="must be an async function"):
        module.on_message(not_async)  # type: ignore[type-var]
    with pytest.raises(TypeError, match="must be an async function"):
        module.on_startup(not_async)  # type: ignore[type-var]
    with pytest.raises(ValueError, match="registered already"):
        module.job("linemod.purge")(lambda jctx, payload: None)  # type: ignore[arg-type,return-value]


def test_mypy_types_the_inquiry_inbox_for_handlers(tmp_path: Path) -> None:
    report = mypy(
        """
from linebot.v3.webhooks import PostbackEvent
from sqlalchemy.ext.asyncio import AsyncSession
from linemod import Context, Inquiry, ModuleApp, open_inquiries

app = ModuleApp()

@app.on_postback("contact")
async def contact(ctx: Context, event: PostbackEvent) -> None:
    inquiry: Inquiry = await ctx.support.open_inquiry("Contact us", display_name="Hanako")
    reveal_type(inquiry.chat_type)
    await ctx.support.open_inquiry(subject=1)

async def page(session: AsyncSession, bot_id: str) -> dict[str, int]:
    return await open_inquiries(session, bot_id)
""",
        tmp_path,
    )
    assert 'Revealed type is "str"' in report or 'Revealed type is "builtins.str"' in report, report
    assert 'Argument "subject" to "open_inquiry" of "HandlerSupport" has incompatible type "int"' in report, report
    assert "Found 1 error in 1 file" in report, report
