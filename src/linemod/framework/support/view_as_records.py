"""The tables of "view as operator" (migration 0010_view_as): the operators' consents, the staff sessions
started under them, and the log of every staff access to a tenant's data through the help desk.

All three are append-mostly: a grant is only ever revoked (its row kept), a session only ended, and the access
log is never updated or deleted, so that an operator can always see who looked at their OA and when.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from linemod.framework.storage.models import Base, BigId


class SupportViewGrantRow(Base):
    """An operator's consent that provider staff see their OA's console, until `expires_at_ms` or revoked."""

    __tablename__ = "support_view_grants"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[str] = mapped_column(String(33))
    granted_by: Mapped[int] = mapped_column(BigInteger)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    expires_at_ms: Mapped[int] = mapped_column(BigInteger)
    revoked_at_ms: Mapped[int | None] = mapped_column(BigInteger)
    revoked_by: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_support_view_grants_bot_id", "bot_id", "expires_at_ms"),)


class SupportViewSessionRow(Base):
    """One staff member viewing one OA's console under a grant; it ends with the grant, or when they stop."""

    __tablename__ = "support_view_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    grant_id: Mapped[int] = mapped_column(BigInteger)
    bot_id: Mapped[str] = mapped_column(String(33))
    staff_account_id: Mapped[int] = mapped_column(BigInteger)
    started_at_ms: Mapped[int] = mapped_column(BigInteger)
    expires_at_ms: Mapped[int] = mapped_column(BigInteger)
    ended_at_ms: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_support_view_sessions_staff", "staff_account_id", "bot_id"),)


class SupportStaffAccessRow(Base):
    """One look of a staff member at a tenant's data: a ticket with its context, a view-as page, a refusal."""

    __tablename__ = "support_staff_access"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    staff_account_id: Mapped[int] = mapped_column(BigInteger)
    staff_email: Mapped[str] = mapped_column(String(254))
    bot_id: Mapped[str] = mapped_column(String(33))
    action: Mapped[str] = mapped_column(String(32))  # "ticket", "view_as_start", "view_as_page", "view_as_refused"...
    ticket_id: Mapped[int | None] = mapped_column(BigInteger)
    session_id: Mapped[int | None] = mapped_column(BigInteger)
    path: Mapped[str | None] = mapped_column(String(500))
    at_ms: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_support_staff_access_bot_id", "bot_id", "id"),)
