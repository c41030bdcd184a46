"""The framework's tables. Times are UNIX milliseconds (as in LINE's own payloads), stored as integers so
that queue queries compare plain numbers on every engine."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base of every framework table; `Base.metadata` is what the migrations describe."""


class TenantState:
    ATTACHED = "attached"
    SUSPENDED = "suspended"
    DETACHED = "detached"


class Tenant(Base):
    """One LINE Official Account this module is (or was) attached to. The key is the OA's bot user ID."""

    __tablename__ = "tenants"

    bot_id: Mapped[str] = mapped_column(String(33), primary_key=True)
    basic_id: Mapped[str | None] = mapped_column(String(64))
    premium_id: Mapped[str | None] = mapped_column(String(64))
    display_name: Mapped[str | None] = mapped_column(String(255))
    picture_url: Mapped[str | None] = mapped_column(Text)
    # JSON list of granted scopes; NULL when unknown (found by reconciliation, never attached through us).
    scopes_json: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=TenantState.ATTACHED)
    # Timestamp (LINE's clock) of the newest lifecycle event applied; older or repeated ones are ignored.
    lifecycle_ts_ms: Mapped[int | None] = mapped_column(BigInteger)
    attached_at_ms: Mapped[int | None] = mapped_column(BigInteger)
    detached_at_ms: Mapped[int | None] = mapped_column(BigInteger)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)


class QueueStatus:
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


class EventRow(Base):
    """A webhook event, stored before the webhook is acknowledged and processed by workers.

    `chat_key` orders processing: a worker takes an event only when no older event of the same chat is
    unfinished. `locked_by`/`locked_until_ms` form a lease, so an event held by a killed worker is taken
    again.
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    webhook_event_id: Mapped[str] = mapped_column(String(64), unique=True)
    bot_id: Mapped[str] = mapped_column(String(33))
    chat_key: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(40))
    mode: Mapped[str | None] = mapped_column(String(16))
    event_ts_ms: Mapped[int] = mapped_column(BigInteger)
    is_redelivery: Mapped[bool] = mapped_column(Boolean, default=False)
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=QueueStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_at_ms: Mapped[int] = mapped_column(BigInteger)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_until_ms: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at_ms: Mapped[int] = mapped_column(BigInteger)
    finished_at_ms: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_events_status_id", "status", "id"),
        Index("ix_events_chat_key_status", "chat_key", "status", "id"),
        Index("ix_events_bot_id_status", "bot_id", "status", "id"),
    )


class JobRow(Base):
    """A durable scheduled job (reminders, reconciliation, clean-up), run by the same workers as events.

    `key` makes scheduling idempotent: scheduling a key that already exists does nothing.
    """

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    bot_id: Mapped[str | None] = mapped_column(String(33))
    payload: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(16), default=QueueStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_at_ms: Mapped[int] = mapped_column(BigInteger)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_until_ms: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    finished_at_ms: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_jobs_status_run_at", "status", "run_at_ms"),)


class ChatStateRow(Base):
    """Per chat of an OA: the mode the last event showed and the module's own state for that chat."""

    __tablename__ = "chat_states"

    bot_id: Mapped[str] = mapped_column(String(33), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    mode: Mapped[str | None] = mapped_column(String(16))
    mode_ts_ms: Mapped[int | None] = mapped_column(BigInteger)
    data: Mapped[str] = mapped_column(Text, default="{}")
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)


class AttachStateRow(Base):
    """Server-side half of an attach in progress: the OAuth `state`, its PKCE verifier, single use."""

    __tablename__ = "attach_states"

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    code_verifier: Mapped[str] = mapped_column(String(128))
    redirect_uri: Mapped[str] = mapped_column(Text)
    params_json: Mapped[str] = mapped_column(Text)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    used_at_ms: Mapped[int | None] = mapped_column(BigInteger)
