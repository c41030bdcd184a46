"""`AnnouncementService`: announcements written by staff, what each operator sees of them (the active ones
they have not dismissed), and who asked for them by mail. Publishing one with `mail` schedules its mailing
job (mailing.py) in the same transaction: no announcement is stored without it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.accounts.info import AccountInfo
from linemod.framework.clock import Clock
from linemod.framework.i18n import N_
from linemod.framework.queue.scheduler import JobScheduler
from linemod.framework.storage.database import Database
from linemod.framework.support.announcements.records import (
    SupportAnnouncementDismissalRow,
    SupportAnnouncementRow,
    SupportAnnouncementSubscriberRow,
)
from linemod.framework.support.business_hours import JST
from linemod.framework.support.plain_text import multi_line, one_line

MAIL_JOB = "linemod.support.announcement_mail"
KINDS = ("maintenance", "incident", "notice")
SEVERITIES = ("info", "warning", "critical")
KIND_LABELS = {"maintenance": N_("Maintenance"), "incident": N_("Incident"), "notice": N_("Notice")}
SEVERITY_LABELS = {"info": N_("Information"), "warning": N_("Warning"), "critical": N_("Critical")}
MAX_TITLE = 200
MAX_BODY = 10_000
_SEVERITY_ORDER = {severity: index for index, severity in enumerate(reversed(SEVERITIES))}


class AnnouncementNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Announcement:
    id: int
    kind: str
    severity: str
    title_ja: str
    title_en: str
    body_ja: str
    body_en: str
    starts_at_ms: int
    ends_at_ms: int | None
    mail: bool
    created_at_ms: int
    updated_at_ms: int

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_ja

    def body(self, lang: str) -> str:
        return self.body_en if lang == "en" else self.body_ja

    def active(self, now_ms: int) -> bool:
        return self.starts_at_ms <= now_ms and (self.ends_at_ms is None or now_ms < self.ends_at_ms)

    @classmethod
    def from_row(cls, row: SupportAnnouncementRow) -> Announcement:
        return cls(
            row.id,
            row.kind,
            row.severity,
            row.title_ja,
            row.title_en,
            row.body_ja,
            row.body_en,
            row.starts_at_ms,
            row.ends_at_ms,
            bool(row.mail),
            row.created_at_ms,
            row.updated_at_ms,
        )


def parse_jst(text: str) -> int | None:
    """UNIX ms of a `datetime-local` value read as Japan time ("2027-01-08T10:00"), None when it is not one."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is not None or not 2000 <= moment.year <= 2999:
        return None
    return int(moment.replace(tzinfo=JST).timestamp() * 1000)


def jst_input(value_ms: int | None) -> str:
    """The `datetime-local` value of an instant (the form shows what it stored)."""
    if value_ms is None:
        return ""
    return datetime.fromtimestamp(value_ms / 1000, JST).strftime("%Y-%m-%dT%H:%M")


@dataclass(frozen=True)
class AnnouncementDraft:
    kind: str
    severity: str
    title_ja: str
    title_en: str
    body_ja: str
    body_en: str
    starts_at_ms: int
    ends_at_ms: int | None
    mail: bool

    @classmethod
    def parse(cls, form: Mapping[str, str], now_ms: int) -> tuple[AnnouncementDraft, dict[str, str]]:
        """The staff form's values checked: the draft, and the errors per field (message IDs)."""
        errors: dict[str, str] = {}
        starts_text, ends_text = form.get("starts_at") or "", form.get("ends_at") or ""
        starts = parse_jst(starts_text) if starts_text.strip() else now_ms
        ends = parse_jst(ends_text)
        if starts is None:
            errors["starts_at"] = N_("Enter a date and time, or leave it empty for now.")
        if ends_text.strip() and ends is None:
            errors["ends_at"] = N_("Enter a date and time, or leave it empty.")
        elif ends is not None and starts is not None and ends <= starts:
            errors["ends_at"] = N_("The end must come after the start.")
        draft = cls(
            kind=one_line(form.get("kind")),
            severity=one_line(form.get("severity")),
            title_ja=one_line(form.get("title_ja")),
            title_en=one_line(form.get("title_en")),
            body_ja=multi_line(form.get("body_ja")),
            body_en=multi_line(form.get("body_en")),
            starts_at_ms=starts or now_ms,
            ends_at_ms=ends,
            mail=form.get("mail") == "on",
        )
        if draft.kind not in KINDS:
            errors["kind"] = N_("Choose a kind.")
        if draft.severity not in SEVERITIES:
            errors["severity"] = N_("Choose a severity.")
        for name in ("title_ja", "title_en"):
            if not getattr(draft, name) or len(getattr(draft, name)) > MAX_TITLE:
                errors[name] = N_("Enter a title of at most 200 characters.")
        for name in ("body_ja", "body_en"):
            if not getattr(draft, name) or len(getattr(draft, name)) > MAX_BODY:
                errors[name] = N_("Enter a text of at most 10,000 characters.")
        return draft, errors


class AnnouncementService:
    def __init__(self, db: Database, clock: Clock, scheduler: JobScheduler | None = None) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler

    # ---- staff ------------------------------------------------------------------------------------------

    async def create(self, staff: AccountInfo, draft: AnnouncementDraft) -> Announcement:
        """Store and publish an announcement; with `mail`, its mailing job joins the transaction."""
        if not staff.provider_staff:
            raise PermissionError("only provider staff publish announcements")
        now = self.clock.now_ms()
        async with self.db.transaction() as session:
            row = SupportAnnouncementRow(created_by=staff.id, created_at_ms=now)
            _fill(row, draft, now)
            session.add(row)
            await session.flush()
            if row.mail:
                await self.schedule_mail(session, row.id)
            return Announcement.from_row(row)

    async def update(self, staff: AccountInfo, announcement_id: int, draft: AnnouncementDraft) -> Announcement:
        """Change the text or the times. Mail already sent is not sent again; ticking "mail" on later sends it
        to those who have not had it."""
        if not staff.provider_staff:
            raise PermissionError("only provider staff change announcements")
        async with self.db.transaction() as session:
            row = await _load(session, announcement_id)
            _fill(row, draft, self.clock.now_ms())
            if row.mail:
                await self.schedule_mail(session, row.id)
            return Announcement.from_row(row)

    async def end_now(self, staff: AccountInfo, announcement_id: int) -> Announcement:
        if not staff.provider_staff:
            raise PermissionError("only provider staff end announcements")
        now = self.clock.now_ms()
        async with self.db.transaction() as session:
            row = await _load(session, announcement_id)
            if row.ends_at_ms is None or row.ends_at_ms > now:
                row.ends_at_ms = max(now, row.starts_at_ms)
                row.updated_at_ms = now
            return Announcement.from_row(row)

    async def schedule_mail(self, session: AsyncSession, announcement_id: int) -> None:
        if self.scheduler is None:
            return
        # Keyed per announcement and change, so an edit that adds "mail" runs the job again; the job
        # itself mails every account at most once (mailing.py).
        await self.scheduler.schedule(
            MAIL_JOB,
            {"announcement_id": announcement_id},
            key=f"{MAIL_JOB}:{announcement_id}:{self.clock.now_ms()}",
            session=session,
        )

    async def get(self, announcement_id: int) -> Announcement:
        async with self.db.session() as session:
            return Announcement.from_row(await _load(session, announcement_id))

    async def all(self, limit: int = 200) -> list[Announcement]:
        async with self.db.session() as session:
            rows = await session.scalars(
                select(SupportAnnouncementRow).order_by(SupportAnnouncementRow.starts_at_ms.desc()).limit(limit)
            )
            return [Announcement.from_row(row) for row in rows]

    # ---- operators --------------------------------------------------------------------------------------

    async def current(self, limit: int = 100) -> list[Announcement]:
        """Active and upcoming announcements and those ended in the last 30 days: the operators' list."""
        now = self.clock.now_ms()
        async with self.db.session() as session:
            rows = await session.scalars(
                select(SupportAnnouncementRow)
                .where(
                    or_(
                        SupportAnnouncementRow.ends_at_ms.is_(None),
                        SupportAnnouncementRow.ends_at_ms > now - 30 * 86_400_000,
                    )
                )
                .order_by(SupportAnnouncementRow.starts_at_ms.desc())
                .limit(limit)
            )
            return [Announcement.from_row(row) for row in rows]

    async def banners_for(self, account_id: int) -> list[Announcement]:
        """The active announcements `account_id` has not dismissed, most severe first."""
        now = self.clock.now_ms()
        async with self.db.session() as session:
            dismissed = select(SupportAnnouncementDismissalRow.announcement_id).where(
                SupportAnnouncementDismissalRow.account_id == account_id
            )
            rows = await session.scalars(
                select(SupportAnnouncementRow).where(
                    SupportAnnouncementRow.starts_at_ms <= now,
                    or_(SupportAnnouncementRow.ends_at_ms.is_(None), SupportAnnouncementRow.ends_at_ms > now),
                    SupportAnnouncementRow.id.not_in(dismissed),
                )
            )
            found = [Announcement.from_row(row) for row in rows]
        return sorted(found, key=lambda a: (_SEVERITY_ORDER.get(a.severity, 9), -a.starts_at_ms, -a.id))

    async def dismiss(self, account_id: int, announcement_id: int) -> None:
        """Hide the banner from this account (twice is the same as once)."""
        try:
            async with self.db.transaction() as session:
                await _load(session, announcement_id)
                exists = await session.get(SupportAnnouncementDismissalRow, (announcement_id, account_id))
                if exists is None:
                    session.add(
                        SupportAnnouncementDismissalRow(
                            announcement_id=announcement_id, account_id=account_id, at_ms=self.clock.now_ms()
                        )
                    )
        except IntegrityError:
            pass  # two tabs dismissed at once: the other one's row says the same

    async def subscribed(self, account_id: int) -> bool:
        async with self.db.session() as session:
            return await session.get(SupportAnnouncementSubscriberRow, account_id) is not None

    async def subscribe(self, account: AccountInfo, lang: str, wanted: bool) -> None:
        """Ask for announcements by mail (in `lang`), or stop."""
        async with self.db.transaction() as session:
            if not wanted:
                await session.execute(
                    delete(SupportAnnouncementSubscriberRow).where(
                        SupportAnnouncementSubscriberRow.account_id == account.id
                    )
                )
                return
            row = await session.get(SupportAnnouncementSubscriberRow, account.id)
            if row is None:
                session.add(
                    SupportAnnouncementSubscriberRow(
                        account_id=account.id,
                        lang=lang if lang in ("ja", "en") else "ja",
                        created_at_ms=self.clock.now_ms(),
                    )
                )
            else:
                row.lang = lang if lang in ("ja", "en") else "ja"


async def _load(session: AsyncSession, announcement_id: int) -> SupportAnnouncementRow:
    row = await session.get(SupportAnnouncementRow, announcement_id)
    if row is None:
        raise AnnouncementNotFound(announcement_id)
    return row


def _fill(row: SupportAnnouncementRow, draft: AnnouncementDraft, now: int) -> None:
    row.kind, row.severity = draft.kind, draft.severity
    row.title_ja, row.title_en, row.body_ja, row.body_en = draft.title_ja, draft.title_en, draft.body_ja, draft.body_en
    row.starts_at_ms, row.ends_at_ms, row.mail = draft.starts_at_ms, draft.ends_at_ms, draft.mail
    row.updated_at_ms = now
