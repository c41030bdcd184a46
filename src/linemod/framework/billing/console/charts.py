"""Charts drawn on the server as inline SVG: no script and no outside resource, so the console's CSP
(`script-src 'self'`, nothing from a CDN) holds, and the chart is in the page as soon as the HTML is.

Accessible: the `<svg>` is an image (`role="img"`) named by its `<title>` and described by its `<desc>`; each
point or bar carries its own `<title>` (shown on hover, read by screen readers) and `data-series`,
`data-label` and `data-value` attributes with the exact figure. Pages put the same numbers in a table too.
Colours are presentation attributes, not `style`: the palette is the console's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 70, 28, 26, 28
PALETTE = ("#06c755", "#2f6fde", "#e8590c", "#7048e8")


@dataclass(frozen=True)
class Series:
    key: str  # data-series, stable for tests and styles
    name: str  # shown in the legend
    values: Sequence[int]


def _nice_max(value: int) -> int:
    """The axis top: the smallest 1, 2 or 5 × 10ⁿ at or above `value` (at least 1)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if factor * step >= value:
                return factor * step
        step *= 10


def _ticks(top: int) -> int:
    """How many steps the axis has: each a whole number (a chart of 2 OAs has the steps 0, 1, 2)."""
    for count in (5, 4):
        if top % count == 0:
            return count
    return top  # 1 or 2


def _frame(
    chart_id: str, title: str, description: str, top: int, fmt: Callable[[int], str], width: int
) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {width} {HEIGHT}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" data-chart="{escape(chart_id)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    ticks = _ticks(top)
    for step in range(ticks + 1):
        value = top * step // ticks
        y = TOP + plot_h - plot_h * step / ticks
        parts.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#6b7280">'
                     f"{escape(fmt(value))}</text>")
    return parts


def _labels(labels: Sequence[str], x_of: Callable[[int], float]) -> list[str]:
    every = max(1, -(-len(labels) // 12))
    return [
        f'<text x="{x_of(i):.1f}" y="{HEIGHT - 8}" text-anchor="middle" font-size="11" fill="#6b7280">'
        f"{escape(label)}</text>"
        for i, label in enumerate(labels)
        if i % every == 0
    ]


def _legend(series: Sequence[Series]) -> list[str]:
    parts = []
    for n, one in enumerate(series):
        x = LEFT + n * 130
        parts.append(f'<rect x="{x}" y="2" width="10" height="10" fill="{PALETTE[n % len(PALETTE)]}"/>')
        parts.append(f'<text x="{x + 14}" y="11" font-size="11" fill="#374151">{escape(one.name)}</text>')
    return parts


def line_chart(
    chart_id: str, title: str, description: str, labels: Sequence[str], series: Sequence[Series],
    fmt: Callable[[int], str] = str, width: int = WIDTH,
) -> Markup:
    """Lines over `labels` (months), one per series, with a marker per value."""
    top = _nice_max(max((max(s.values, default=0) for s in series), default=0))
    plot_w, plot_h = width - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(i: int) -> float:
        return LEFT + (plot_w * i / (len(labels) - 1) if len(labels) > 1 else plot_w / 2)

    def y_of(value: int) -> float:
        return TOP + plot_h - plot_h * value / top

    parts = _frame(chart_id, title, description, top, fmt, width) + _labels(labels, x_of)
    for n, one in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        points = " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, v in enumerate(one.values))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        for i, value in enumerate(one.values):
            parts.append(
                f'<circle cx="{x_of(i):.1f}" cy="{y_of(value):.1f}" r="3.5" fill="{colour}" '
                f'data-series="{escape(one.key)}" data-label="{escape(labels[i])}" data-value="{value}">'
                f"<title>{escape(labels[i])} {escape(one.name)}: {escape(fmt(value))}</title></circle>"
            )
    if len(series) > 1:
        parts += _legend(series)
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(
    chart_id: str, title: str, description: str, labels: Sequence[str], series: Sequence[Series],
    fmt: Callable[[int], str] = str, width: int = WIDTH,
) -> Markup:
    """Grouped bars: for each label (month), one bar per series side by side."""
    top = _nice_max(max((max(s.values, default=0) for s in series), default=0))
    plot_w, plot_h = width - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group = plot_w / max(1, len(labels))
    bar = group * 0.8 / max(1, len(series))

    def x_of(i: int) -> float:
        return LEFT + group * i + group / 2

    parts = _frame(chart_id, title, description, top, fmt, width) + _labels(labels, x_of)
    for n, one in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        for i, value in enumerate(one.values):
            height = plot_h * value / top
            x = LEFT + group * i + group * 0.1 + bar * n
            parts.append(
                f'<rect x="{x:.1f}" y="{TOP + plot_h - height:.1f}" width="{bar:.1f}" height="{height:.1f}" '
                f'fill="{colour}" data-series="{escape(one.key)}" data-label="{escape(labels[i])}" '
                f'data-value="{value}"><title>{escape(labels[i])} {escape(one.name)}: {escape(fmt(value))}</title>'
                "</rect>"
            )
    parts += _legend(series)
    parts.append("</svg>")
    return Markup("".join(parts))


def yen(value: int) -> str:
    return f"¥{value:,}"
