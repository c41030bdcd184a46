"""Issue dates are days in Japan; invoices fall due at the end of the following month by default."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from linemod.framework.billing.invoicing.invoice_settings import InvoiceSettings, end_of_following_month


def test_today_is_the_day_in_japan_whatever_the_servers_timezone() -> None:
    evening_in_utc = int(datetime(2026, 8, 31, 20, 0, tzinfo=UTC).timestamp() * 1000)
    assert InvoiceSettings().today(evening_in_utc) == date(2026, 9, 1)  # 05:00 on the 1st in Tokyo


@pytest.mark.parametrize(
    ("issued", "due"),
    [
        (date(2026, 9, 1), date(2026, 10, 31)),
        (date(2026, 9, 30), date(2026, 10, 31)),
        (date(2026, 12, 15), date(2027, 1, 31)),
        (date(2027, 1, 31), date(2027, 2, 28)),
        (date(2028, 1, 10), date(2028, 2, 29)),
    ],
)
def test_due_at_the_end_of_the_following_month(issued: date, due: date) -> None:
    assert end_of_following_month(issued) == due
