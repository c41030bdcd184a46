"""The tables of announcements and incident notices (migration 0011): the notices, who dismissed which, who
wants them by mail, and the mails sent (one row per announcement and account: the mail's once-only guard)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Index, Integer, PrimaryKeyConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from linemod.framework.storage.models import Base, BigId


class SupportAnnouncementRow(Base):
    """A notice to every operator, in Japanese and English, shown from `starts_at_ms` until `ends_at_ms`
    (None: until staff end it)."""

    __tablename__ = "support_announcements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # "maintenance", "incident" (e.g. on LINE's side), "notice"
    severity: Mapped[str] = mapped_column(String(8))  # "info", "warning", "critical"
    title_ja: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    body_ja: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    starts_at_ms: Mapped[int] = mapped_column(BigInteger)
    ends_at_ms: Mapped[int | None] = mapped_column(BigInteger)
    mail: Mapped[bool] = mapped_column(Boolean)  # mailed to the operators who asked for announcements by mail
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_support_announcements_window", "starts_at_ms", "ends_at_ms"),)


class SupportAnnouncementDismissalRow(Base):
    """An account closed an announcement's banner: not shown to it again."""

    __tablename__ = "support_announcement_dismissals"

    announcement_id: Mapped[int] = mapped_column(BigInteger)
    account_id: Mapped[int] = mapped_column(BigInteger)
    at_ms: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (PrimaryKeyConstraint("announcement_id", "account_id"),)


class SupportAnnouncementSubscriberRow(Base):
    """An operator account that wants announcements by mail, and in which language (the console's when it
    said so: accounts have no language of their own)."""

    __tablename__ = "support_announcement_subscribers"

    account_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    lang: Mapped[str] = mapped_column(String(2))
    created_at_ms: Mapped[int] = mapped_column(BigInteger)


class SupportAnnouncementMailRow(Base):
    """The mail of one announcement to one account: "due", "sending" while a run has it (since
    `claimed_at_ms`), "sent" once the SMTP server took it ("failed" after too many refusals). The primary key
    makes a second mail to the same account impossible, however often the job runs."""

    __tablename__ = "support_announcement_mails"

    announcement_id: Mapped[int] = mapped_column(BigInteger)
    account_id: Mapped[int] = mapped_column(BigInteger)
    email: Mapped[str] = mapped_column(String(254))
    lang: Mapped[str] = mapped_column(String(2))
    state: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer)
    claimed_at_ms: Mapped[int | None] = mapped_column(BigInteger)
    sent_at_ms: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (PrimaryKeyConstraint("announcement_id", "account_id"),)
