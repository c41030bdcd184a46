"""CSAT: the requester's rating of a solved ticket, good or bad, with a reason on bad (Zendesk's satisfaction
ratings). Asked for by mail when the ticket is solved (mail_out.py), given in the console or from the
mail's link; a later rating replaces the earlier one (a second thought is worth having), each one audited."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.support import audit
from linemod.framework.support.audit import Actor
from linemod.framework.support.records import SupportTicketRow
from linemod.framework.support.states import Csat, TicketStatus
from linemod.framework.support.ticket_records import Ticket

MAX_REASON = 2000


class CsatError(ValueError):
    """A rating of a ticket not solved, with no reason on "bad", or with a token that is not valid."""


def record_rating(
    session: AsyncSession, row: SupportTicketRow, actor: Actor, rating: Csat, reason: str | None, now_ms: int
) -> Ticket:
    rating = Csat(rating)
    reason = (reason or "").strip()[:MAX_REASON] or None
    if row.status not in (TicketStatus.SOLVED.value, TicketStatus.CLOSED.value):
        raise CsatError("only a solved ticket can be rated")
    if rating == Csat.BAD and not reason:
        raise CsatError("a bad rating needs a reason")
    row.csat_rating, row.csat_reason, row.csat_at_ms = rating.value, reason, now_ms
    audit.record(session, row.id, actor, "csat", now_ms, rating=rating.value, reason=reason)
    return Ticket.from_row(row)
