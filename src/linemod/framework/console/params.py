"""Reading what a console address carries: an ID in its path, a date in its query.

Both are whatever someone typed. An ID past the 64-bit integers both databases store overflows in the
driver (SQLite: "Python int too large to convert to SQLite INTEGER"; PostgreSQL: out of range for bigint),
and a date at either end of the calendar overflows as soon as a page asks for the next day or the week
before: each was a 500. Here they become what a page can answer: "no such row", or `BadParameter`, which
the console shows as a 400 page saying what a date should look like.
"""

from __future__ import annotations

import re
from datetime import date

MAX_ROW_ID = 2**63 - 1
"""The largest ID a row can have: BIGINT on PostgreSQL, INTEGER (64-bit) on SQLite."""

EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)
"""The dates a page accepts by default: far from both ends of Python's calendar (years 1 to 9999), so
that a page's arithmetic (the next day, a week, a month of CSV) cannot leave it."""

_DIGITS = re.compile(r"[0-9]{1,19}")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class BadParameter(Exception):
    """A path or query parameter a console page cannot use.

    Raised in a page handler, it becomes a 400 page (the transaction is rolled back) showing `message`, a
    message ID translated into the viewer's language, with its `%(name)s` placeholders filled from
    `values`.
    """

    def __init__(self, message: str, **values: str) -> None:
        super().__init__(message % values if values else message)
        self.message = message
        self.values = values


def parse_row_id(text: str | None) -> int | None:
    """The row ID `text` spells in ASCII digits, or None when no row can have it (anything but digits,
    zero, or past `MAX_ROW_ID`): answer None as for an ID that does not exist."""
    if not text or not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ROW_ID else None


def parse_day(text: str | None, *, earliest: date = EARLIEST_DAY, latest: date = LATEST_DAY) -> date | None:
    """The date `text` writes as YYYY-MM-DD, or None when it is anything else or not between `earliest`
    and `latest` (both included)."""
    if not text or not _ISO_DAY.fullmatch(text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:  # 2025-02-30
        return None
    return day if earliest <= day <= latest else None
