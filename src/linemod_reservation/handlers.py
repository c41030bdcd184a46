"""The module's listeners on the framework's decorators.

Chat listeners are registered with `standby=True`, so they see every event of a chat: when the event is
`active` the module answers; when it is `standby` (a person handles the chat in the OA Manager) the event is
recorded for the console and nothing is sent. Who handles each chat is kept per customer. While a chat has
an open inquiry (お問い合わせ, `handover.py`), the framework records its messages for the inbox and these
listeners do not see them.

What the module says is in the customer's language: `customers.seen()` sets `ctx.lang` from it, and the
texts are translated with `ctx.gettext`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linebot.v3.webhooks import (
    ActivatedEvent,
    DeactivatedEvent,
    FollowEvent,
    MessageEvent,
    ModuleEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
)

from linemod import Context
from linemod_reservation import customers, handover, notices, reminders, setup, store
from linemod_reservation import messages as m
from linemod_reservation.conversation import Turn
from linemod_reservation.models import Handler

if TYPE_CHECKING:
    from linemod_reservation.app import Reservation


def register(module: Reservation) -> None:
    app = module.app

    @app.on_lifecycle("attached")
    async def attached(ctx: Context, event: ModuleEvent) -> None:
        await setup.on_attached(ctx)

    @app.on_follow(standby=True)
    async def follow(ctx: Context, event: FollowEvent) -> None:
        now = ctx.now_ms()
        customer = await customers.seen(ctx, now, refresh=True)
        if customer is None:
            return
        customer.friend = True
        if not ctx.is_active:
            return await customers.record_standby(ctx, "follow", now)
        shop = await store.get_shop(ctx.db, ctx.bot_id)
        shop_name = (shop.name if shop else "") or ctx.tenant.display_name or ""
        if customer.display_name:
            welcome = ctx.gettext(
                "Thank you for adding us, %(name)s!\n"
                "This is %(shop)s.\n"
                "Tap “Reserve” in the menu below to book a table.",
                name=customer.display_name,
                shop=shop_name,
            )
        else:  # the OA did not grant profile:read
            welcome = ctx.gettext(
                "Thank you for adding us!\nThis is %(shop)s.\nTap “Reserve” in the menu below to book a table.",
                shop=shop_name,
            )
        await ctx.reply(m.text(welcome, m.menu_actions(ctx)))

    @app.on_unfollow(standby=True)
    async def unfollow(ctx: Context, event: UnfollowEvent) -> None:
        customer = await customers.seen(ctx, ctx.now_ms())
        if customer is not None:
            customer.friend = False

    @app.on_postback(standby=True)
    async def postback(ctx: Context, event: PostbackEvent) -> None:
        now = ctx.now_ms()
        customer = await customers.seen(ctx, now)
        data = str(event.postback.data)
        if customer is None:
            return
        if not ctx.is_active:
            return await customers.record_standby(ctx, f"postback {data}", now)
        if data == "rsv:contact":
            return await handover.contact(ctx, customer, now)
        turn = Turn(ctx, customer, await module.rules(ctx.db, ctx.bot_id), now)
        params = dict(event.postback.params) if event.postback.params is not None else None
        if not await turn.postback(data, params):
            await turn.expired()

    @app.on_message(standby=True)
    async def message(ctx: Context, event: MessageEvent) -> None:
        now = ctx.now_ms()
        customer = await customers.seen(ctx, now)
        if customer is None:
            return
        body = event.message.text if isinstance(event.message, TextMessageContent) else f"({event.message.type})"
        if not ctx.is_active:
            return await customers.record_standby(ctx, body, now)
        if isinstance(event.message, TextMessageContent) and handover.asks_for_contact(event.message.text):
            return await handover.contact(ctx, customer, now)
        turn = Turn(ctx, customer, await module.rules(ctx.db, ctx.bot_id), now)
        if isinstance(event.message, TextMessageContent):
            return await turn.text(event.message.text)
        await ctx.reply(m.text(ctx.gettext("How can we help you?"), m.menu_actions(ctx)))

    @app.on_activated()
    async def activated(ctx: Context, event: ActivatedEvent) -> None:
        customer = await customers.seen(ctx, ctx.now_ms())
        if customer is not None:
            customers.set_handler(customer, Handler.MODULE, ctx.now_ms())

    @app.on_deactivated()
    async def deactivated(ctx: Context, event: DeactivatedEvent) -> None:
        customer = await customers.seen(ctx, ctx.now_ms())
        if customer is not None:
            customers.set_handler(customer, Handler.PERSON, ctx.now_ms())

    app.job(reminders.JOB)(reminders.remind)
    app.job(notices.JOB)(notices.notify)
