# The README's echo module, as written there: what `benchmarks/e2e.py` runs under `linemod serve echo:app`.
from linebot.v3.messaging import TextMessage
from linebot.v3.webhooks import MessageEvent, ModuleEvent, TextMessageContent

from linemod import Context, ModuleApp

app = ModuleApp()  # LINEMOD_CHANNEL_ID, LINEMOD_CHANNEL_SECRET, LINEMOD_LINE_BASE_URL, ...

@app.on_lifecycle("attached")
async def attached(ctx: Context, event: ModuleEvent) -> None:
    print("attached to", ctx.tenant.display_name)

@app.on_message(type="text")
async def echo(ctx: Context, event: MessageEvent) -> None:
    if isinstance(event.message, TextMessageContent):
        await ctx.reply(TextMessage(text=event.message.text))

asgi = app.asgi()  # or: linemod db upgrade && linemod serve echo:app
