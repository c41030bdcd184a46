"""Horizontal bar charts as inline SVG, drawn on the server: no script, no style attributes (the pages'
Content-Security-Policy allows neither inline), every label escaped. The same numbers are in a table
next to each chart, for screen readers and for copying."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

COLORS = ("#06c755", "#0b6bcb", "#f59e0b", "#dc2626")
WIDTH = 680
LABEL_WIDTH = 170
BAR_AREA = 400
BAR_HEIGHT = 16
GAP = 10
LEGEND_HEIGHT = 24


def _number(value: float) -> str:
    return f"{value:,.1f}".rstrip("0").rstrip(".")


def _text_width(text: str, size: int = 12) -> float:
    """Roughly: CJK characters are square, Latin ones a bit over half as wide (no font metrics here)."""
    return sum(size if ord(c) > 0x2E80 else size * 0.6 for c in text)


def _legend(series: Sequence[str]) -> tuple[list[str], int]:
    """A colour key per series, wrapped onto more rows when it does not fit the width."""
    parts: list[str] = []
    x, row = float(LABEL_WIDTH), 0
    for index, name in enumerate(series):
        width = 16 + _text_width(name) + 16
        if x + width > WIDTH and x > LABEL_WIDTH:
            x, row = float(LABEL_WIDTH), row + 1
        y = 6 + row * LEGEND_HEIGHT
        parts.append(
            f'<rect x="{x:.0f}" y="{y}" width="12" height="12" fill="{COLORS[index % len(COLORS)]}"/>'
            f'<text x="{x + 16:.0f}" y="{y + 10}" font-size="12" fill="#374151">{escape(name)}</text>'
        )
        x += width
    return parts, row + 1


def bar_chart(
    rows: Sequence[tuple[str, Sequence[float | None]]],
    series: Sequence[str],
    *,
    title: str,
    stacked: bool = False,
    show: Callable[[float], str] = _number,
) -> Markup:
    """One row per label: its values side by side (one bar per series), or end to end with `stacked`."""
    totals = [
        sum(v or 0 for v in values) if stacked else max((v or 0 for v in values), default=0) for _, values in rows
    ]
    largest = max(totals, default=0) or 1
    per_row = BAR_HEIGHT if stacked else BAR_HEIGHT * len(series)
    legend, legend_rows = _legend(series)
    top = legend_rows * LEGEND_HEIGHT
    height = top + len(rows) * (per_row + GAP) + GAP
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>',
        *legend,
    ]
    y = top + GAP
    for (label, values), total in zip(rows, totals, strict=True):
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + per_row / 2 + 4}" font-size="12" text-anchor="end" '
            f'fill="#1f2328">{escape(label[:24])}</text>'
        )
        offset = float(LABEL_WIDTH)
        for index, value in enumerate(values):
            width = (value or 0) / largest * BAR_AREA
            bar_y = y if stacked else y + index * BAR_HEIGHT
            color = COLORS[index % len(COLORS)]
            if width > 0:
                parts.append(
                    f'<rect x="{offset:.1f}" y="{bar_y}" width="{width:.1f}" height="{BAR_HEIGHT - 2}" fill="{color}"/>'
                )
            if not stacked:
                text = show(value) if value is not None else "–"
                parts.append(
                    f'<text x="{LABEL_WIDTH + width + 4:.1f}" y="{bar_y + BAR_HEIGHT - 4}" font-size="11" '
                    f'fill="#374151">{escape(text)}</text>'
                )
            else:
                offset += width
        if stacked:
            parts.append(
                f'<text x="{offset + 4:.1f}" y="{y + BAR_HEIGHT - 4}" font-size="11" fill="#374151">'
                f"{escape(show(total))}</text>"
            )
        y += per_row + GAP
    parts.append("</svg>")
    return Markup("".join(parts))
