"""`linemod.testing` as a module author uses it: a running app, signed webhooks, drain, then assert."""

from __future__ import annotations

from pathlib import Path

from linebot.v3.webhooks import MessageEvent, PostbackEvent, TextMessageContent

from linemod import Context, JobContext, ModuleApp, Settings
from linemod.testing import (
    BOT_ID,
    ManualClock,
    RunningApp,
    attached_event,
    message_event,
    postback_event,
    signature,
    user_id,
)


def module(tmp_path: Path, clock: ManualClock) -> tuple[ModuleApp, list[str]]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        channel_secret="secret",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/module.db",
        line_base_url="http://127.0.0.1:9",  # nothing answers: these handlers do not call LINE
        worker_poll_seconds=0.05,
    )
    app = ModuleApp(settings, clock=clock)
    seen: list[str] = []

    @app.on_message
    async def remember(ctx: Context, event: MessageEvent) -> None:
        assert isinstance(event.message, TextMessageContent)
        seen.append(f"{ctx.user_id}:{event.message.text}")
        await ctx.schedule("later", {"text": event.message.text}, delay_seconds=3600)

    @app.on_postback
    async def tapped(ctx: Context, event: PostbackEvent) -> None:
        seen.append(f"postback:{event.postback.data}")

    @app.job("later")
    async def later(jctx: JobContext, payload: dict[str, object]) -> None:
        seen.append(f"job for {jctx.tenant.bot_id if jctx.tenant else None}:{payload['text']}")

    return app, seen


async def test_a_module_is_tested_through_the_real_intake_and_worker(tmp_path: Path) -> None:
    clock = ManualClock()
    app, seen = module(tmp_path, clock)
    async with RunningApp(app, upgrade=True) as run:
        assert (await run.post_webhook([attached_event()])).status_code == 200
        ts = clock.now_ms()
        answer = await run.post_webhook([message_event("hello", user=user_id(7), ts=ts), postback_event("tap")])
        assert answer.status_code == 200
        await run.drain()
        assert seen == [f"{user_id(7)}:hello", "postback:tap"]  # the job is an hour away: drain did not wait
        clock.advance(3601)
        await run.drain()
        assert seen[-1] == f"job for {BOT_ID}:hello"


async def test_a_webhook_with_a_wrong_signature_is_refused(tmp_path: Path) -> None:
    app, seen = module(tmp_path, ManualClock())
    async with RunningApp(app, upgrade=True) as run:
        body = b'{"destination": "%s", "events": []}' % BOT_ID.encode()
        answer = await run.http.post("/webhook", content=body, headers={"x-line-signature": signature("nope", body)})
        assert answer.status_code == 401
        assert seen == []
