"""Bank statement CSV exports, read into credits.

Japanese banks' CSV downloads (入出金明細) share a shape, not a format: Shift_JIS (cp932) or UTF-8, a few lines
about the account before the header, then one row per transaction with a date, a credit and a debit column
(or one amount with a 入金/出金 column), the payer's transfer name (振込依頼人名, else the 摘要 text) and a
balance. `parse_statement` finds the header by its column names, keeps the credits, and gives each one a hash
that is the same every time the same transaction is imported (same file twice, or two overlapping exports):
the date, amount, name and balance, plus how many identical rows came before it in the file (two equal
transfers on one day are two credits, not a duplicate).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

# Column names as exports spell them (after NFKC, without spaces and "(円)"), most specific first.
_DATE = ("取引日", "入金日", "勘定日", "取扱日", "お取引日", "取引日付", "年月日", "日付", "入出金日", "date")
_CREDIT = ("入金金額", "入金額", "お預入金額", "預入金額", "お預り金額", "預り金額", "受入金額", "入金", "credit",
           "deposit")
_AMOUNT = ("取引金額", "お取引金額", "金額", "amount")
_KIND = ("入出金区分", "取引区分", "区分")
_NAME = ("振込依頼人名", "依頼人名", "振込依頼人", "摘要", "お取引内容", "取引内容", "摘要内容", "内容", "payer",
         "description", "name")
_BALANCE = ("差引残高", "お取引後残高", "残高", "balance")
_HEADER_SEARCH_ROWS = 20
_ERAS = {"R": 2018, "令和": 2018, "H": 1988, "平成": 1988}


class StatementFormatError(ValueError):
    """The file is not a statement this reader understands (no header with a date and an amount)."""


@dataclass(frozen=True)
class StatementCredit:
    row_number: int  # 1-based, in the file
    value_date: date
    amount_yen: int
    payer_name: str  # as the bank wrote it
    balance_yen: int | None
    line_hash: str


@dataclass(frozen=True)
class ParsedStatement:
    credits: list[StatementCredit]
    skipped_rows: list[tuple[int, str]] = field(default_factory=list)  # rows that were not transactions, and why


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) when it decodes, else Shift_JIS as Windows writes it (cp932)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp932")


def _header_key(cell: str) -> str:
    text = unicodedata.normalize("NFKC", cell).strip().lower()
    return re.sub(r"\s+|\(円\)|\[円\]|\(¥\)", "", text)


def _pick(header: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


def parse_yen(cell: str) -> int | None:
    """'3,300', '￥3,300', '３３００円', '-500', '△500' → yen (negative for debits); '' → None."""
    text = unicodedata.normalize("NFKC", cell).strip()
    text = re.sub(r"[,¥￥円\s]", "", text).replace("△", "-").replace("▲", "-")
    if not text:
        return None
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ValueError(f"not an amount in yen: {cell!r}")
    return int(text)


def parse_date(cell: str) -> date:
    """2026/10/31, 2026-10-31, 2026.10.31, 2026年10月31日, 20261031, R8.10.31, 令和8年10月31日 (元年 too)."""
    text = unicodedata.normalize("NFKC", cell).strip().replace("元年", "1年")
    if re.fullmatch(r"\d{8}", text):
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    found = re.fullmatch(r"(令和|平成|[RH])?(\d{1,4})[/\-.年](\d{1,2})[/\-.月](\d{1,2})日?", text)
    if found is None:
        raise ValueError(f"not a date: {cell!r}")
    era, year, month, day = found.groups()
    return date(int(year) + _ERAS[era] if era else int(year), int(month), int(day))


@dataclass(frozen=True)
class _Columns:
    """Where each field is in a row (None: the export has no such column)."""

    positions: dict[str, int | None]

    def cell(self, row: list[str], field_name: str) -> str:
        position = self.positions[field_name]
        return row[position] if position is not None and position < len(row) else ""

    def credit(self, row: list[str]) -> int | None:
        """The row's credit in yen; negative or None for a debit."""
        if self.positions["credit"] is not None:
            return parse_yen(self.cell(row, "credit"))
        amount = parse_yen(self.cell(row, "amount"))
        kind = unicodedata.normalize("NFKC", self.cell(row, "kind"))
        if amount is not None and ("出金" in kind or "支払" in kind):
            return -abs(amount)
        return amount


def parse_statement(data: bytes) -> ParsedStatement:
    rows = list(csv.reader(io.StringIO(decode(data))))
    for index, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        header = [_header_key(cell) for cell in row]
        columns = _Columns({
            "date": _pick(header, _DATE), "credit": _pick(header, _CREDIT), "amount": _pick(header, _AMOUNT),
            "kind": _pick(header, _KIND), "name": _pick(header, _NAME), "balance": _pick(header, _BALANCE),
        })
        positions = columns.positions
        if positions["date"] is not None and (positions["credit"] is not None or positions["amount"] is not None):
            return _read_rows(rows[index + 1:], index + 2, columns)
    raise StatementFormatError("no header row with a date column and an amount (or 入金) column was found")


def _read_rows(rows: list[list[str]], first_number: int, columns: _Columns) -> ParsedStatement:
    credits: list[StatementCredit] = []
    skipped: list[tuple[int, str]] = []
    seen: Counter[tuple[str, ...]] = Counter()
    for number, row in enumerate(rows, start=first_number):
        if not any(part.strip() for part in row):
            continue
        try:
            value_date = parse_date(columns.cell(row, "date"))
        except ValueError:
            skipped.append((number, f"no date in {columns.cell(row, 'date')!r} (a total or a note)"))
            continue
        try:
            amount = columns.credit(row)
            balance = parse_yen(columns.cell(row, "balance"))
        except ValueError as error:
            skipped.append((number, str(error)))
            continue
        if amount is None or amount <= 0:
            continue  # a debit: not a payment to match
        name = columns.cell(row, "name").strip()
        # NFKC in the identity only: an export that switches to full-width kana still names the same credit.
        identity = (value_date.isoformat(), str(amount), unicodedata.normalize("NFKC", name),
                    "" if balance is None else str(balance))
        seen[identity] += 1
        digest = hashlib.sha256("|".join((*identity, str(seen[identity]))).encode()).hexdigest()
        credits.append(StatementCredit(number, value_date, amount, name, balance, digest))
    return ParsedStatement(credits, skipped)
