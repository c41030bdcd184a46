"""What the simulated phone sends when the LINE app would ask its user: stickers, a photo, a place."""

from __future__ import annotations

import base64
import functools
import io
from typing import Any

from PIL import Image, ImageDraw

from linemod.emulator.platform.user_messages import ImageFromUser, LocationFromUser

# LINE's free "basic" stickers (package 446, 789, 11537): the IDs a bot sees are the real ones,
# the picture is a stand-in glyph because the emulator has no sticker images.
STICKERS: tuple[tuple[str, str, str], ...] = (
    ("446", "1988", "😄"), ("446", "1989", "😍"), ("446", "1990", "😢"), ("446", "1991", "😠"),
    ("446", "1992", "👍"), ("446", "1993", "🙏"), ("789", "10855", "🐻"), ("789", "10856", "🐰"),
    ("789", "10857", "🎉"), ("11537", "52002734", "💚"), ("11537", "52002735", "👋"), ("11537", "52002736", "😴"),
)
STAND_IN = "🧸"

SAMPLE_LOCATION = LocationFromUser(
    type="location", title="東京駅", address="東京都千代田区丸の内1丁目", latitude=35.681236, longitude=139.767125,
)


def sticker_glyph(package_id: Any, sticker_id: Any) -> str:
    for package, sticker, glyph in STICKERS:
        if package == str(package_id) and sticker == str(sticker_id):
            return glyph
    return STAND_IN


@functools.cache
def sample_photo_png() -> bytes:
    """A small photo-like picture for the camera and camera-roll quick replies (made on first use)."""
    image = Image.new("RGB", (480, 360), "#bfe9d0")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 240, 480, 360), fill="#6cc08b")
    draw.ellipse((330, 40, 420, 130), fill="#ffd35c")
    draw.polygon([(40, 260), (170, 110), (300, 260)], fill="#3d8b5f")
    draw.polygon([(200, 260), (300, 150), (400, 260)], fill="#2e6e4b")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def sample_photo_message() -> ImageFromUser:
    return ImageFromUser(type="image", content_base64=base64.b64encode(sample_photo_png()).decode(),
                         content_type="image/png")
