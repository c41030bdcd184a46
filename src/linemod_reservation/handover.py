"""お問い合わせ: the customer asks for a person, and the OA's staff answer in the operator console's inbox.

Tapping お問い合わせ in the rich menu (or writing it) opens an inquiry (`ctx.support.open_inquiry`): the
framework then keeps the module quiet in that chat and records what the customer sends for the inbox, where
the staff answer; closing the inquiry there gives the chat back to the module. The chat stays the module's
on LINE's side all along, so the staff's answers can use the customers' reply tokens (free).

An operator can still take a chat over in LINE's OA Manager: LINE's `deactivated` / `activated` events and
the mode of later events say so, and the customer's `handled_by` follows them (see `handlers.py`).
"""

from __future__ import annotations

from linemod import Context
from linemod_reservation import messages as m
from linemod_reservation.conversation import STATE_KEY
from linemod_reservation.models import Customer

CONTACT_WORDS = frozenset({"お問い合わせ", "問い合わせ", "お問合せ", "contact", "contact us"})
"""What a customer may write instead of tapping お問い合わせ (in a group chat, the only way)."""


def asks_for_contact(text: str) -> bool:
    return " ".join(text.split()).lower() in CONTACT_WORDS


async def contact(ctx: Context, customer: Customer, now_ms: int) -> None:
    """Tell the customer a person will answer, and hand the chat to the inbox."""
    await ctx.reply(m.text(ctx.gettext("We are connecting you with our staff. Please send your message here.")))
    ctx.state.pop(STATE_KEY, None)
    await ctx.support.open_inquiry(ctx.gettext("Contact us"), display_name=customer.display_name)
