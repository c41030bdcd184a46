"""Chat control in practice: who answers a customer, the module or a person in the OA Manager.

A person takes a chat when the module releases it (the customer tapped お問い合わせ, or the console's
"hand over" button); the module takes it back with Acquire (the console's "back to the module" button).
LINE confirms each move with a `deactivated` / `activated` event, and every later event of the chat carries
the mode; the customer's `handled_by` follows all three, so the console shows who is handling the chat.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from linemod import Context, ModuleApp
from linemod_reservation import customers
from linemod_reservation import messages as m
from linemod_reservation.conversation import STATE_KEY
from linemod_reservation.models import Customer, Handler


async def contact(ctx: Context, customer: Customer, now_ms: int) -> None:
    """お問い合わせ: tell the customer a person will answer, then release the chat to the OA, so the
    operator's OA Manager chat takes it and the module stays quiet until control comes back."""
    await ctx.reply(m.text(ctx.gettext("We are connecting you with our staff. Please send your message here.")))
    ctx.state.pop(STATE_KEY, None)
    if ctx.chat is not None:  # a postback always comes from a chat
        await ctx.chat.release()
    customers.set_handler(customer, Handler.PERSON, now_ms)


async def hand_to_person(app: ModuleApp, bot_id: str, user_id: str, session: AsyncSession | None = None) -> None:
    """Release the chat (from the console); LINE's `deactivated` event confirms it."""
    line = await app.line_for(bot_id)
    await line.release_chat_control(user_id)
    await _record(app, bot_id, user_id, Handler.PERSON, session)


async def take_back(app: ModuleApp, bot_id: str, user_id: str, session: AsyncSession | None = None) -> None:
    """Acquire the chat for the module with no time limit (from the console); `activated` confirms it."""
    line = await app.line_for(bot_id)
    await line.acquire_chat_control(user_id, ttl=None, expired=False)
    await _record(app, bot_id, user_id, Handler.MODULE, session)


async def _record(app: ModuleApp, bot_id: str, user_id: str, handler: str, session: AsyncSession | None) -> None:
    """Show the move in the console at once (the confirming event arrives a moment later)."""
    if session is None:
        async with app.transaction() as tx:
            return await _record(app, bot_id, user_id, handler, tx.db)
    customer = await session.get(Customer, (bot_id, user_id))
    if customer is not None:
        customers.set_handler(customer, handler, app.clock.now_ms())
