"""The archive search form (電子帳簿保存法: by issue-date range, amount range and counterparty, combined),
read into an `ArchiveQuery`, or into a 400 page that says which field is wrong and how to write it."""

from __future__ import annotations

from collections.abc import Callable

from linemod.framework.billing.console.provider_web import MAX_YEN
from linemod.framework.billing.invoicing.archive import ArchiveQuery
from linemod.framework.console.params import BadParameter, parse_day
from linemod.framework.i18n import N_

MAX_PAGE = 10_000


def _yen(text: str | None, field: str) -> int | None:
    value = (text or "").strip().replace(",", "").replace("¥", "").replace("￥", "").replace("円", "")
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or int(value) > MAX_YEN:
        raise BadParameter(N_("%(field)s must be a whole number of yen, such as 5000."), field=field)
    return int(value)


def archive_query(
    *,
    issued_from: str | None = None,
    issued_to: str | None = None,
    min_total: str | None = None,
    max_total: str | None = None,
    counterparty: str | None = None,
    bot_id: str | None = None,
    label: Callable[[str], str] = str,
) -> ArchiveQuery:
    """The query the form asks for; `label` translates the field names the messages show."""
    days = []
    for text, field in ((issued_from, N_("Issued from")), (issued_to, N_("Issued to"))):
        text = (text or "").strip()
        day = parse_day(text) if text else None
        if text and day is None:
            raise BadParameter(N_("%(field)s must be a date written YYYY-MM-DD, such as 2026-09-30."),
                               field=label(field))
        days.append(day)
    low, high = _yen(min_total, label(N_("Minimum amount"))), _yen(max_total, label(N_("Maximum amount")))
    if low is not None and high is not None and low > high:
        raise BadParameter(N_("The minimum amount (%(low)s yen) is more than the maximum (%(high)s yen): swap them."),
                           low=f"{low:,}", high=f"{high:,}")
    if days[0] is not None and days[1] is not None and days[0] > days[1]:
        raise BadParameter(N_("The first date (%(start)s) is after the last (%(end)s): swap them."),
                           start=days[0].isoformat(), end=days[1].isoformat())
    name = (counterparty or "").strip()
    if len(name) > 100:
        raise BadParameter(N_("The counterparty is too long (at most 100 characters)."))
    return ArchiveQuery(issued_from=days[0], issued_to=days[1], min_total=low, max_total=high,
                        counterparty=name or None, bot_id=bot_id)


def page_number(text: str | None) -> int:
    value = (text or "1").strip()
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise BadParameter(N_("The page number must be between 1 and %(max)s."), max=str(MAX_PAGE))
    return int(value)
