"""Checks on rich menu objects and images, in LINE's wording (no state, no HTTP).

Sources: the rich menu object and the upload-image reference of the Messaging API. Wording that
LINE documents is used as is ("must be specified", "invalid richMenuId", "The image size is not
allowed for richmenu"); wording it leaves open follows `validation.messages` ("Length must be
between 0 and 14") and is an ASSUMPTION.
"""

from __future__ import annotations

import io
import re
from typing import Any

from PIL import Image, UnidentifiedImageError

from linemod.emulator.errors import Detail, LineApiError, invalid_property, validation_error
from linemod.emulator.validation.messages import validate_action

RICH_MENU_ID_RE = re.compile(r"\Arichmenu-[0-9a-f]{32}\Z")
ALIAS_ID_RE = re.compile(r"\A[a-z0-9_-]{1,32}\Z")

MIN_WIDTH, MAX_WIDTH = 800, 2500
MIN_HEIGHT = 250
MIN_ASPECT = 1.45
MAX_NAME = 300
MAX_CHAT_BAR_TEXT = 14
MAX_AREAS = 20
MAX_IMAGE_BYTES = 1024 * 1024  # "Max file size: 1 MB"
IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG"}
IMAGE_NOT_ALLOWED = "The image size is not allowed for richmenu"  # documented 400 example


def _is_int(value: object) -> bool:
    # JSON true/false are Python bools, which are ints too; LINE's JSON mapper refuses them.
    return isinstance(value, int) and not isinstance(value, bool)


def _required(body: dict[str, Any], key: str, prop: str, details: list[Detail]) -> Any:
    if key not in body or body[key] is None:
        details.append(Detail("must be specified", prop))
        return None
    return body[key]


def rich_menu_details(body: object) -> list[Detail]:
    """Every problem of a rich menu object, as `details` of LINE's 400 answer.

    A value of the wrong JSON type is a mapping failure on LINE's side, answered on its own with
    "The property, 'x', in the request body is invalid" (raised, not collected).
    """
    if not isinstance(body, dict):
        raise invalid_property("'richMenu'")  # ASSUMPTION: the body itself fails to map
    details: list[Detail] = []
    size = _size_details(body, details)
    selected = _required(body, "selected", "selected", details)
    if selected is not None and not isinstance(selected, bool):
        raise invalid_property("'selected'")
    for key, limit in (("name", MAX_NAME), ("chatBarText", MAX_CHAT_BAR_TEXT)):
        text = _required(body, key, key, details)
        if text is None:
            continue
        if not isinstance(text, str):
            raise invalid_property(f"'{key}'")
        if not text:
            details.append(Detail("May not be empty", key))
        elif len(text) > limit:
            details.append(Detail(f"Length must be between 0 and {limit}", key))
    areas = _required(body, "areas", "areas", details)
    if areas is not None:
        if not isinstance(areas, list):
            raise invalid_property("'areas'")
        if len(areas) > MAX_AREAS:
            details.append(Detail(f"Size must be between 0 and {MAX_AREAS}", "areas"))
        for index, area in enumerate(areas):
            _area_details(area, f"areas[{index}]", size, details)
    return details


def check_rich_menu(body: object) -> dict[str, Any]:
    """The rich menu object as stored (only the documented keys), or LINE's 400."""
    details = rich_menu_details(body)
    if details:
        raise validation_error(details)
    assert isinstance(body, dict)
    return {
        "size": {"width": body["size"]["width"], "height": body["size"]["height"]},
        "selected": body["selected"],
        "name": body["name"],
        "chatBarText": body["chatBarText"],
        "areas": [{"bounds": dict(a["bounds"]), "action": dict(a["action"])} for a in body["areas"]],
    }


def _size_details(body: dict[str, Any], details: list[Detail]) -> tuple[int, int] | None:
    size = _required(body, "size", "size", details)
    if size is None:
        return None
    if not isinstance(size, dict):
        raise invalid_property("'size'")
    width = _required(size, "width", "size.width", details)
    height = _required(size, "height", "size.height", details)
    if width is None or height is None:
        return None
    if not _is_int(width):
        raise invalid_property("'size.width'")
    if not _is_int(height):
        raise invalid_property("'size.height'")
    ok = True
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        details.append(Detail(f"Must be between {MIN_WIDTH} and {MAX_WIDTH}", "size.width"))
        ok = False
    if height < MIN_HEIGHT:
        details.append(Detail(f"Must be greater than or equal to {MIN_HEIGHT}", "size.height"))
        ok = False
    if ok and width / height < MIN_ASPECT:
        # The docs state the rule ("aspect ratio (width / height) must be at least 1.45"), not the text.
        details.append(Detail(f"Aspect ratio (width / height) must be at least {MIN_ASPECT}", "size"))
        ok = False
    return (width, height) if ok else None


def _area_details(area: object, prop: str, size: tuple[int, int] | None, details: list[Detail]) -> None:
    if not isinstance(area, dict):
        raise invalid_property(f"'{prop}'")
    bounds = _required(area, "bounds", f"{prop}.bounds", details)
    if bounds is not None:
        _bounds_details(bounds, f"{prop}.bounds", size, details)
    action = _required(area, "action", f"{prop}.action", details)
    if action is not None:
        details.extend(validate_action(action, f"{prop}.action"))


def _bounds_details(bounds: object, prop: str, size: tuple[int, int] | None, details: list[Detail]) -> None:
    if not isinstance(bounds, dict):
        raise invalid_property(f"'{prop}'")
    values: dict[str, int] = {}
    for key, minimum in (("x", 0), ("y", 0), ("width", 1), ("height", 1)):
        value = _required(bounds, key, f"{prop}.{key}", details)
        if value is None:
            continue
        if not _is_int(value):
            raise invalid_property(f"'{prop}.{key}'")
        if value < minimum:
            details.append(Detail(f"Must be greater than or equal to {minimum}", f"{prop}.{key}"))
            continue
        values[key] = value
    if size is None or len(values) < 4:
        return
    width, height = size
    # LINE's own examples (line-bot-sdk-python's examples/rich-menu, the Node SDK's) have for years put the
    # right-hand area of a 2500-wide menu at x 1251, width 1250: one pixel past the edge, and LINE accepts
    # them. So an area may overhang by that one pixel; anything further is refused.
    if values["x"] + values["width"] > width + EDGE_SLACK or values["y"] + values["height"] > height + EDGE_SLACK:
        # ASSUMPTION on wording: LINE refuses areas reaching outside the menu but documents no text.
        details.append(Detail("Bounds must be inside the rich menu", prop))


EDGE_SLACK = 1
"""Pixels an area may reach past the menu's edge (what LINE's own examples do)."""


def check_rich_menu_id(value: object, prop: str = "richMenuId") -> str:
    """A richMenuId given in a JSON body: documented 400 `invalid richMenuId` when malformed."""
    if value is None:
        raise validation_error([Detail("must be specified", prop)])
    if not isinstance(value, str):
        raise invalid_property(f"'{prop}'")
    if not RICH_MENU_ID_RE.match(value):
        raise validation_error([Detail("invalid richMenuId", prop)])
    return value


def check_image_type(content_type: str | None) -> None:
    """Documented 415 for a Content-Type other than `image/jpeg` or `image/png`."""
    if (content_type or "").split(";", 1)[0].strip().lower() not in IMAGE_TYPES:
        raise LineApiError(415, f"The content type, {content_type or ''}, is not supported")


def check_image(data: bytes, size: dict[str, int]) -> str:
    """Checks an uploaded rich menu image; returns its real MIME type.

    400 for anything that breaks the image requirements: over 1 MB, unreadable, or not exactly
    the menu's size (which already meets the width, height and aspect rules).
    """
    if not data:
        # ASSUMPTION: an empty upload is a request without the image.
        raise LineApiError(400, "The request body has 1 error(s)", [Detail("must be specified", "image")])
    if len(data) > MAX_IMAGE_BYTES:
        raise LineApiError(400, IMAGE_NOT_ALLOWED)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format
            dimensions = image.size
    except (UnidentifiedImageError, OSError, ValueError):
        # ASSUMPTION on wording: LINE documents only the "size not allowed" text for bad images.
        raise LineApiError(400, "The image could not be read as JPEG or PNG") from None
    mime = next((m for m, f in IMAGE_TYPES.items() if f == image_format), None)
    if mime is None:
        raise LineApiError(400, "The image could not be read as JPEG or PNG")
    if dimensions != (size["width"], size["height"]):
        raise LineApiError(400, IMAGE_NOT_ALLOWED)
    return mime
