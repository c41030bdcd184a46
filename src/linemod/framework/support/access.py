"""Who may see which ticket: staff every ticket; an operator the tickets of the OAs they are a member of
(the console's own scoping, `memberships`), plus tickets they opened about no OA. Anything else is "not
found", as if it did not exist, so that the routes answer 404 and ticket numbers tell nothing."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.accounts.info import AccountInfo
from linemod.framework.storage.models import MembershipRow
from linemod.framework.support.records import SupportTicketRow


class TicketNotFound(LookupError):
    """No such ticket, or not one the viewer may see (the routes answer 404 either way)."""


class StaffOnly(PermissionError):
    """An operator asked for what only provider staff may do (internal notes, assignment, the audit log)."""


async def member_bot_ids(session: AsyncSession, account_id: int) -> list[str]:
    rows = await session.scalars(select(MembershipRow.bot_id).where(MembershipRow.account_id == account_id))
    return list(rows)


async def visible_to(session: AsyncSession, viewer: AccountInfo) -> ColumnElement[bool]:
    """The condition on `support_tickets` of what `viewer` may see."""
    if viewer.provider_staff:
        return true()
    bots = await member_bot_ids(session, viewer.id)
    own = and_(SupportTicketRow.bot_id.is_(None), SupportTicketRow.requester_account_id == viewer.id)
    return or_(SupportTicketRow.bot_id.in_(bots), own) if bots else own


async def load_visible(
    session: AsyncSession, viewer: AccountInfo, ticket_id: int, *, for_update: bool = False
) -> SupportTicketRow:
    statement = select(SupportTicketRow).where(SupportTicketRow.id == ticket_id, await visible_to(session, viewer))
    if for_update:
        statement = statement.with_for_update()  # PostgreSQL: two changes of one ticket take turns
    row = await session.scalar(statement)
    if row is None:
        raise TicketNotFound(ticket_id)
    return row


def require_staff(viewer: AccountInfo) -> None:
    if not viewer.provider_staff:
        raise StaffOnly("only provider staff may do this")


async def check_bot_for(session: AsyncSession, viewer: AccountInfo, bot_id: str | None) -> None:
    """An operator may open tickets about their own OAs only."""
    if bot_id is None or viewer.provider_staff:
        return
    if bot_id not in await member_bot_ids(session, viewer.id):
        raise TicketNotFound(bot_id)
