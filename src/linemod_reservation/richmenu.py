"""The OA's rich menu: three buttons (予約する, 予約確認, お問い合わせ), its image drawn with Pillow.

The labels need a Japanese font. Debian's `fonts-noto-cjk` is looked for first; without any CJK font the
image is drawn with Pillow's default font and English labels (the message IDs themselves), so it never shows
empty boxes ("tofu"). Labels are translated by the gettext the caller passes (`ctx.gettext`).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from linebot.v3.messaging import (
    PostbackAction,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
)
from PIL import Image, ImageDraw, ImageFont

from linemod import N_

NAME = "linemod-reservation"
WIDTH, HEIGHT = 2500, 843
FONT_CANDIDATES = (
    os.environ.get("LINEMOD_RESERVATION_FONT", ""),
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/System/Library/Fonts/ヒラギノ角ゴシック W6.ttc",
)
COLORS = ("#06C755", "#0A8F45", "#2D3A45")  # LINE green, a darker green, slate


Gettext = Callable[[str], str]
"""A translation function such as `ctx.gettext`: a message ID in, its text out."""


@dataclass(frozen=True)
class Button:
    label: str  # message ID of the label
    data: str  # postback data


BUTTONS = (
    Button(N_("Reserve"), "rsv:start"),
    Button(N_("My bookings"), "rsv:list"),
    Button(N_("Contact us"), "rsv:contact"),
)


@lru_cache(maxsize=1)
def cjk_font_path() -> str | None:
    for path in FONT_CANDIDATES:
        if path and os.path.exists(path):
            return path
    return None


def _font(size: int) -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, bool]:
    """A font of `size` pixels and whether it can draw Japanese."""
    path = cjk_font_path()
    if path is not None:
        try:
            return ImageFont.truetype(path, size), True
        except OSError:
            pass
    try:
        return ImageFont.load_default(size=size), False
    except TypeError:  # Pillow < 10.1 has no sized default font
        return ImageFont.load_default(), False


def area_bounds() -> list[tuple[int, int, int, int]]:
    """(x, y, width, height) of each button; the widths add up to exactly 2500."""
    base = WIDTH // len(BUTTONS)
    widths = [base] * len(BUTTONS)
    widths[len(BUTTONS) // 2] += WIDTH - base * len(BUTTONS)
    bounds, x = [], 0
    for w in widths:
        bounds.append((x, 0, w, HEIGHT))
        x += w
    return bounds


def _icon(draw: ImageDraw.ImageDraw, kind: int, cx: int, cy: int) -> None:
    """Simple white line icons: a calendar, a list, a speech bubble."""
    white, line = "#FFFFFF", 14
    if kind == 0:
        draw.rounded_rectangle((cx - 110, cy - 90, cx + 110, cy + 100), 18, outline=white, width=line)
        draw.line((cx - 110, cy - 35, cx + 110, cy - 35), fill=white, width=line)
        for dx in (-60, 60):
            draw.line((cx + dx, cy - 120, cx + dx, cy - 65), fill=white, width=line)
        draw.line((cx - 45, cy + 30, cx - 10, cy + 65), fill=white, width=line)
        draw.line((cx - 10, cy + 65, cx + 55, cy - 5), fill=white, width=line)
    elif kind == 1:
        for i, dy in enumerate((-70, 0, 70)):
            draw.ellipse((cx - 115, cy + dy - 14, cx - 87, cy + dy + 14), fill=white)
            draw.line((cx - 60, cy + dy, cx + 115 - i * 20, cy + dy), fill=white, width=line)
    else:
        draw.rounded_rectangle((cx - 120, cy - 95, cx + 120, cy + 60), 40, outline=white, width=line)
        draw.polygon([(cx - 60, cy + 55), (cx - 90, cy + 115), (cx - 10, cy + 55)], fill=white)
        for dx in (-60, 0, 60):
            draw.ellipse((cx + dx - 14, cy - 32, cx + dx + 14, cy - 4), fill=white)


def render_image(gettext: Gettext, labels: Sequence[str] | None = None) -> bytes:
    """The 2500×843 PNG of the menu, its labels translated by `gettext` when a CJK font exists, else the
    English message IDs (or `labels`, when given)."""
    font, japanese = _font(96)
    if labels is None:
        labels = [gettext(b.label) if japanese else b.label for b in BUTTONS]
    image = Image.new("RGB", (WIDTH, HEIGHT), "#FFFFFF")
    draw = ImageDraw.Draw(image)
    for index, ((x, y, w, h), label) in enumerate(zip(area_bounds(), labels, strict=True)):
        draw.rectangle((x, y, x + w - 1, y + h - 1), fill=COLORS[index])
        if index:
            draw.line((x, 60, x, h - 60), fill="#FFFFFF", width=4)
        cx = x + w // 2
        _icon(draw, index, cx, 300)
        left, top, right, _bottom = draw.textbbox((0, 0), label, font=font)
        draw.text((cx - (right - left) // 2 - left, 560 - top), label, font=font, fill="#FFFFFF")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def menu_request(gettext: Gettext) -> RichMenuRequest:
    """The rich menu's definition, its labels translated by `gettext`."""
    areas = [
        RichMenuArea(
            bounds=RichMenuBounds(x=x, y=y, width=w, height=h),
            action=PostbackAction(label=gettext(b.label), data=b.data, displayText=gettext(b.label)),
        )
        for (x, y, w, h), b in zip(area_bounds(), BUTTONS, strict=True)
    ]
    return RichMenuRequest(
        size=RichMenuSize(width=WIDTH, height=HEIGHT),
        selected=True,
        name=NAME,
        chatBarText=gettext("Menu"),
        areas=areas,
    )
