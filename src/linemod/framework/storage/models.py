"""The framework's tables. Times are UNIX milliseconds (as in LINE's own payloads), stored as integers so
that queue queries compare plain numbers on every engine."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base of every framework table; `Base.metadata` is what the migrations describe."""


class TenantState(StrEnum):
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
    # The row's version: every change moves it forward (`tenants/store.py`), and the tenant caches of every
    # process find what changed by it.
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_tenants_updated_at_ms", "updated_at_ms"),)


class QueueStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


_PENDING = text("status = 'pending'")
_RUNNING = text("status = 'running'")
_UNFINISHED = text("status IN ('pending', 'running')")


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

    # The claim's and the ordering rule's indexes hold only the rows still to be handled (migration 0013):
    # they stay the size of the backlog however many done rows are kept, and a completion adds nothing to them.
    __table_args__ = (
        Index("ix_events_pending", "id", postgresql_where=_PENDING, sqlite_where=_PENDING),
        Index("ix_events_unfinished_chat", "chat_key", "id", postgresql_where=_UNFINISHED, sqlite_where=_UNFINISHED),
        Index("ix_events_running", "id", postgresql_where=_RUNNING, sqlite_where=_RUNNING),
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
    # The console account that started the attach: it becomes an owner of the OA (migration 0002).
    account_id: Mapped[int | None] = mapped_column(BigInteger)


# ---- accounts and consoles (migration 0002) ----------------------------------------------------------


class Account(Base):
    """A person who signs in to a console: an OA operator, or (with `provider_staff`) the provider's staff.

    Provider staff accounts are created only by `linemod accounts create-staff`, never by sign-up."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(String(255))
    provider_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    email_verified_at_ms: Mapped[int | None] = mapped_column(BigInteger)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)


class AuthSessionRow(Base):
    """A signed-in browser. The cookie carries a random token; only its SHA-256 is stored, so a copy of the
    table cannot be replayed. A row with `revoked_at_ms` set is the revocation list."""

    __tablename__ = "auth_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(BigInteger, index=True)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    last_seen_at_ms: Mapped[int] = mapped_column(BigInteger)
    expires_at_ms: Mapped[int] = mapped_column(BigInteger)
    revoked_at_ms: Mapped[int | None] = mapped_column(BigInteger)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))


class AccountTokenRow(Base):
    """A single-use link sent by mail (email verification, password reset); only the token's hash is kept."""

    __tablename__ = "account_tokens"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(BigInteger, index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    expires_at_ms: Mapped[int] = mapped_column(BigInteger)
    used_at_ms: Mapped[int | None] = mapped_column(BigInteger)


class AttemptCounterRow(Base):
    """Attempts (sign-ins, mail requests) counted under one key in its current fixed window; the key is a
    hash of what is limited (an email, a client IP or both), never the email itself. Counting in the database
    makes a limit hold across every web process; `accounts.rate_limit` says how it stays exact under
    concurrent requests."""

    __tablename__ = "attempt_counters"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start_ms: Mapped[int] = mapped_column(BigInteger)
    expires_at_ms: Mapped[int] = mapped_column(BigInteger, index=True)  # the window's end: purged after it
    attempts: Mapped[int] = mapped_column(Integer)


class MembershipRow(Base):
    """An account's role ("owner" or "staff") on one OA: what every operator console query is scoped by."""

    __tablename__ = "memberships"

    account_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    bot_id: Mapped[str] = mapped_column(String(33), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at_ms: Mapped[int] = mapped_column(BigInteger)


class InvitationRow(Base):
    """An invitation of a colleague (by email) to an OA's team; single use, only the token's hash is kept."""

    __tablename__ = "invitations"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    bot_id: Mapped[str] = mapped_column(String(33), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    invited_by: Mapped[int] = mapped_column(BigInteger)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    expires_at_ms: Mapped[int] = mapped_column(BigInteger)
    accepted_at_ms: Mapped[int | None] = mapped_column(BigInteger)
    accepted_by: Mapped[int | None] = mapped_column(BigInteger)
    revoked_at_ms: Mapped[int | None] = mapped_column(BigInteger)


class OutboxMailRow(Base):
    """A mail kept instead of sent (no SMTP host configured); development mode shows them at /console/outbox."""

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    # Added by 0007: billing mails (invoices) are HTML with the PDF attached and may copy others.
    cc_addrs: Mapped[str | None] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    attachments_json: Mapped[str | None] = mapped_column(Text)  # [{filename, content_type, size, sha256}]


class TenantSettingRow(Base):
    """The values of one settings form an extension registered, for one OA (JSON object)."""

    __tablename__ = "tenant_settings"

    bot_id: Mapped[str] = mapped_column(String(33), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    values_json: Mapped[str] = mapped_column(Text)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_by: Mapped[int | None] = mapped_column(BigInteger)


# Billing's and the help desk's tables are declared next to the code that uses them (`billing/records.py`,
# `support/records.py`), on this same Base.
# Importing them here keeps `Base.metadata` every framework table, wherever it is read (migrations, the
# models-match-migrations test, `create_all`). At the end of the module: they need `Base` and `BigId`.
from linemod.framework.billing import collection_records as _collection_records  # noqa: E402, F401
from linemod.framework.billing import records as _billing_records  # noqa: E402, F401
from linemod.framework.billing import staff_records as _billing_staff_records  # noqa: E402, F401
from linemod.framework.billing.invoicing import records as _invoice_records  # noqa: E402, F401
from linemod.framework.billing.payments import records as _payment_records  # noqa: E402, F401
from linemod.framework.support import records as _support_records  # noqa: E402, F401
from linemod.framework.support import view_as_records as _view_as_records  # noqa: E402, F401
from linemod.framework.support.announcements import records as _announcement_records  # noqa: E402, F401
from linemod.framework.support.inbox import records as _inbox_records  # noqa: E402, F401
from linemod.framework.support.knowledge import records as _knowledge_records  # noqa: E402, F401
