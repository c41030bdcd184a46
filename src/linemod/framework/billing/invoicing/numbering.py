"""Gap-free document numbers: one counter row per provider and series, taken inside the transaction that
issues the document.

`INSERT … ON CONFLICT DO UPDATE SET next_value = next_value + 1 RETURNING` locks the counter row until that
transaction ends (PostgreSQL's row lock; SQLite's single writer), so two issuers never read the same value, and a
transaction that rolls back gives its number back. Whatever must happen in that transaction after the
number is taken holds everyone else's numbering up, so the issuing code keeps it short (no PDF in there).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.invoicing.records import InvoiceCounterRow


@dataclass(frozen=True)
class NumberFormat:
    """How a series' numbers look: `prefix` then the sequence padded to `width` digits (INV-000042)."""

    prefix: str
    width: int = 6

    def format(self, sequence: int) -> str:
        return f"{self.prefix}{sequence:0{self.width}d}"


async def take_next(session: AsyncSession, *, provider: str, series: str, dialect: str) -> int:
    """The next number of the series (1 for the first), reserved until the session's transaction ends."""
    return await take_block(session, provider=provider, series=series, dialect=dialect, count=1)


async def take_block(session: AsyncSession, *, provider: str, series: str, dialect: str, count: int) -> int:
    """The first of the series' next `count` numbers (1 for the first ever), all reserved until the session's
    transaction ends: a batch issues them in order, and a rollback gives the whole block back."""
    if count < 1:
        raise ValueError(f"a block of numbers holds at least one, not {count}")
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    counter = InvoiceCounterRow
    # One statement, not an insert-if-missing and then an update (those two took 30 % of a finalization's
    # CPU, this one 20 %). A new series starts at 1; of two first issuers racing, the second updates the
    # row the first inserted.
    statement = insert(counter).values(provider=provider, series=series, next_value=count + 1)
    taken = await session.scalar(
        statement.on_conflict_do_update(
            index_elements=["provider", "series"], set_={"next_value": counter.next_value + count}
        ).returning(counter.next_value - count)
    )
    if taken is None:
        raise RuntimeError(f"the number counter of {provider}/{series} returned nothing")
    return int(taken)
