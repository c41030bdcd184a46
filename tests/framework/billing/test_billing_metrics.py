"""The dashboard's monthly figures from the subscription history (pure), and the charts that draw them."""

from __future__ import annotations

import re
from datetime import date

from linemod.framework.billing.console.charts import Series, bar_chart, line_chart
from linemod.framework.billing.metrics import HistoryPoint, PriceValue, last_months, monthly_figures
from linemod.framework.billing.periods import start_ms

MONTHLY, ANNUAL = 1, 2
PRICES = {MONTHLY: PriceValue(5_000, "month"), ANNUAL: PriceValue(50_000, "year")}
HOUR = 3_600_000


def at(day: date) -> int:
    return start_ms(day) + HOUR


def test_mrr_counts_paying_subscriptions_at_each_months_end_annual_as_a_twelfth() -> None:
    history = [
        HistoryPoint("a", at(date(2026, 7, 3)), None, "trialing", MONTHLY),
        HistoryPoint("a", at(date(2026, 8, 2)), "trialing", "active", MONTHLY),
        HistoryPoint("b", at(date(2026, 8, 20)), None, "active", ANNUAL),
        HistoryPoint("a", at(date(2026, 9, 5)), "active", "past_due", MONTHLY),  # still owed: still counts
        HistoryPoint("b", at(date(2026, 9, 30)), "active", "ended", ANNUAL),
        HistoryPoint("c", at(date(2026, 9, 30)), None, "trialing", MONTHLY),
        HistoryPoint("c", at(date(2026, 10, 1)) - 2 * HOUR, "trialing", "paused", MONTHLY),  # 23:00 JST 30 Sept
    ]
    months = last_months(date(2026, 10, 15), 4)
    assert months == [date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)]
    figures = monthly_figures(history, PRICES, months, now_ms=at(date(2026, 10, 15)))
    by_month = {f.label: (f.mrr_yen, f.arr_yen, f.new, f.churned, f.trialing) for f in figures}
    assert by_month == {
        "2026-07": (0, 0, 1, 0, 1),  # a trialing
        "2026-08": (5_000 + 4_166, 12 * 9_166, 1, 0, 0),  # a active, b annual: 50,000 / 12 rounded down
        "2026-09": (5_000, 60_000, 1, 1, 0),  # b ended, c started its trial and was paused before the end
        "2026-10": (5_000, 60_000, 0, 0, 0),
    }


def test_the_current_month_is_counted_up_to_now() -> None:
    history = [HistoryPoint("a", at(date(2026, 10, 20)), None, "active", MONTHLY)]
    [october] = monthly_figures(history, PRICES, [date(2026, 10, 1)], now_ms=at(date(2026, 10, 15)))
    assert (october.mrr_yen, october.new) == (0, 0)  # the 20th has not come yet


def test_a_chart_carries_each_value_in_data_attributes_and_titles_escaped() -> None:
    svg = str(line_chart("c1", "MRR <month>", "desc & more", ["2026-09", "2026-10"],
                         [Series("mrr", "MRR", [1_500, 0])], lambda v: f"¥{v:,}"))
    assert svg.startswith('<svg class="chart" id="c1"') and 'role="img"' in svg
    assert "<title id=\"c1-title\">MRR &lt;month&gt;</title>" in svg and "desc &amp; more" in svg
    points = re.findall(r'data-series="mrr" data-label="([\d-]+)" data-value="(\d+)"', svg)
    assert points == [("2026-09", "1500"), ("2026-10", "0")]
    assert "<title>2026-09 MRR: ¥1,500</title>" in svg
    assert ">¥2,000</text>" in svg  # the axis tops at the next 1-2-5 step
    bars = str(bar_chart("c2", "t", "d", ["a", "b"], [Series("new", "New", [3, 1]), Series("churned", "Gone", [0, 2])]))
    assert re.findall(r'data-series="(\w+)" data-label="(\w)" data-value="(\d+)"', bars) == [
        ("new", "a", "3"), ("new", "b", "1"), ("churned", "a", "0"), ("churned", "b", "2")]
    heights = [float(h) for h in re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)" fill="#',
                                            bars)]
    assert heights[0] > heights[3] > heights[1] > heights[2] == 0  # 3 > 2 > 1 > 0, drawn to scale
