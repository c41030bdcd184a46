"""The tables of what provider staff do to billing (migration `0009_billing_staff`): the audit log of their
actions, and the coupons they create in the console (next to the ones the module declares in code).

Declared on the framework's `Base`; nothing else is imported here (`storage/models.py` imports this module).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from linemod.framework.storage.models import Base, BigId


class BillingAuditRow(Base):
    """One billing action by a person (or the console acting for one): who, when, what, on which OA, and the
    state before and after as JSON. Append-only: nothing updates or deletes these rows."""

    __tablename__ = "billing_audit_log"
    __table_args__ = (
        Index("ix_billing_audit_log_at", "at_ms", "id"),
        Index("ix_billing_audit_log_bot_id", "bot_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at_ms: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(255))  # "staff:{email}", or "system"
    action: Mapped[str] = mapped_column(String(48))
    bot_id: Mapped[str | None] = mapped_column(String(33))
    subject: Mapped[str | None] = mapped_column(String(255))  # what it was done to: an invoice number, a coupon
    before_json: Mapped[str | None] = mapped_column(Text)
    after_json: Mapped[str | None] = mapped_column(Text)
    # The form's one-time key: a form sent twice (a double click, a reload) is recognised and done once.
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True)


class StaffCouponRow(Base):
    """A coupon staff created in the console. Deactivating it stops new redemptions; subscriptions that
    redeemed it keep its terms (they are copied into the subscription)."""

    __tablename__ = "billing_staff_coupons"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # percent or amount
    value: Mapped[int] = mapped_column(BigInteger)
    duration: Mapped[str] = mapped_column(String(16))  # once, repeating, forever
    months: Mapped[int | None] = mapped_column(Integer)
    name_ja: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    deactivated_at_ms: Mapped[int | None] = mapped_column(BigInteger)
