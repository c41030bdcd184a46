"""Message objects, checked the way the Messaging API checks them before sending anything.

Rules come from the official OpenAPI document (`Message` and its subtypes, `QuickReply`, `Sender`)
plus the limits LINE states only in its reference prose (lengths, counts, URL schemes). Every problem
becomes one `Detail` whose `property` is a LINE-style path such as
`messages[0].template.actions[2].label`; all problems are reported together, in document order.
Actions are checked in `actions.py` and Flex containers in `flex.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from linemod.emulator.errors import Detail, validation_error
from linemod.emulator.validation.actions import (
    IMAGE_CAROUSEL,
    QUICK_REPLY,
    TEMPLATE,
    TEMPLATE_DEFAULT,
    action_at,
    actions_at,
    validate_action,
)
from linemod.emulator.validation.fields import (
    LINK_SCHEMES,
    MISSING,
    Fields,
    as_fields,
    grapheme_len,
    one_of,
    size_between,
)
from linemod.emulator.validation.flex import check_container

__all__ = ["MESSAGE_TYPES", "validate_action", "validate_message", "validate_messages"]

# LINE's own error lists these types only, although it also accepts textV2 (and coupon, which the
# emulator does not offer).
MESSAGE_TYPES = ("text", "image", "video", "audio", "location", "sticker", "template", "imagemap", "flex")
_SUBSTITUTION_KEY = re.compile(r"[a-zA-Z0-9_]{1,20}")


def validate_messages(messages: object, prop: str = "messages", *, max_count: int = 5) -> None:
    """Raises LineApiError (via validation_error(details)) listing every problem; returns None when valid."""
    details: list[Detail] = []
    if messages is None:
        details.append(Detail(MISSING, prop))
    elif not isinstance(messages, list):
        details.append(Detail("Must be an array", prop))
    else:
        if not 1 <= len(messages) <= max_count:
            details.append(Detail(size_between(1, max_count), prop))
        for index, message in enumerate(messages):
            details.extend(validate_message(message, f"{prop}[{index}]"))
    if details:
        raise validation_error(details)


def validate_message(message: object, prop: str) -> list[Detail]:
    """Problems of one message object, with paths under `prop` (such as `messages[0]`)."""
    out: list[Detail] = []
    m = as_fields(message, prop, out)
    if m is None:
        return out
    kind = m.obj.get("type")
    check = _BY_TYPE.get(kind) if isinstance(kind, str) else None
    if check is None:
        m.fail("type", one_of(MESSAGE_TYPES))
    else:
        check(m)
    quick_reply = m.nested("quickReply")
    if quick_reply is not None:
        for item in quick_reply.objects("items", required=True, low=1, high=13):
            item.enum("type", ("action",), required=True)
            item.url("imageUrl")
            action_at(item, "action", QUICK_REPLY, required=True)
    sender = m.nested("sender")
    if sender is not None:
        sender.string("name", max_len=20)
        sender.url("iconUrl")
    return out


def _text(m: Fields) -> None:
    text = m.string("text", required=True, max_len=5000)
    for emoji in m.objects("emojis", high=20):
        index = emoji.integer("index", required=True, minimum=0)
        emoji.string("productId", required=True)
        emoji.string("emojiId", required=True)
        if text is not None and index is not None and index >= 0 and not _dollar_at(text, index):
            emoji.fail("index", "Must point to a $ character in text")
    m.string("quoteToken")


def _dollar_at(text: str, index: int) -> bool:
    # Emoji indexes count UTF-16 code units, as text lengths do.
    return text.encode("utf-16-le")[index * 2 : index * 2 + 2] == b"$\x00"


def _text_v2(m: Fields) -> None:
    m.string("text", required=True, max_len=5000)
    substitution = m.nested("substitution")
    if substitution is not None:
        if len(substitution.obj) > 100:
            m.fail("substitution", size_between(0, 100))
        for key, value in substitution.obj.items():
            if not _SUBSTITUTION_KEY.fullmatch(key):
                substitution.fail(key, "Key must be 1 to 20 letters, digits or underscores")
            entry = as_fields(value, substitution.path(key), m.out)
            kind = entry.enum("type", ("mention", "emoji"), required=True) if entry is not None else None
            if entry is not None and kind == "emoji":
                entry.string("productId", required=True)
                entry.string("emojiId", required=True)
            elif entry is not None and kind == "mention":
                mentionee = entry.nested("mentionee", required=True)
                if mentionee is not None and mentionee.enum("type", ("user", "all"), required=True) == "user":
                    mentionee.string("userId", required=True)
    m.string("quoteToken")


def _sticker(m: Fields) -> None:
    m.string("packageId", required=True)
    m.string("stickerId", required=True)
    m.string("quoteToken")


def _image(m: Fields) -> None:
    m.url("originalContentUrl", required=True)
    m.url("previewImageUrl", required=True)


def _video(m: Fields) -> None:
    _image(m)
    m.string("trackingId", max_len=100)


def _audio(m: Fields) -> None:
    m.url("originalContentUrl", required=True)
    m.integer("duration", required=True, minimum=0)


def _location(m: Fields) -> None:
    m.string("title", required=True, max_len=100)
    m.string("address", required=True, max_len=100)
    m.number("latitude", required=True)
    m.number("longitude", required=True)


def _imagemap(m: Fields) -> None:
    m.url("baseUrl", required=True)
    m.string("altText", required=True, max_len=1500)
    base_size = m.nested("baseSize", required=True)
    if base_size is not None:
        # LINE fixes the base width at 1040 px and scales the image for each device from there.
        if base_size.integer("width", required=True) not in (None, 1040):
            base_size.fail("width", "Must be 1040")
        base_size.integer("height", required=True, minimum=1)
    for action in m.objects("actions", required=True, low=1, high=50):
        kind = action.enum("type", ("uri", "message", "clipboard"), required=True)
        action.string("label", max_len=100)
        _area(action.nested("area", required=True))
        if kind == "uri":
            action.url("linkUri", required=True, max_len=1000, schemes=LINK_SCHEMES)
        elif kind == "message":
            action.string("text", required=True, max_len=400)
        elif kind == "clipboard":
            action.string("clipboardText", required=True, max_len=1000)
    video = m.nested("video")
    if video is not None:
        _image(video)
        _area(video.nested("area", required=True))
        link = video.nested("externalLink")
        if link is not None:
            link.url("linkUri", required=True, max_len=1000, schemes=LINK_SCHEMES)
            link.string("label", required=True, max_len=30)


def _area(area: Fields | None) -> None:
    if area is not None:
        for key in ("x", "y", "width", "height"):
            area.integer(key, required=True, minimum=0)


def _template(m: Fields) -> None:
    m.string("altText", required=True, max_len=400)
    template = m.nested("template", required=True)
    if template is None:
        return
    template.count = grapheme_len
    kind = template.enum("type", ("buttons", "confirm", "carousel", "image_carousel"), required=True)
    if kind == "buttons":
        template.url("thumbnailImageUrl")
        _image_options(template)
        template.color("imageBackgroundColor")
        template.string("title", max_len=40)
        template.string("text", required=True, max_len=_template_text_max(template, 160))
        action_at(template, "defaultAction", TEMPLATE_DEFAULT)
        actions_at(template, "actions", TEMPLATE, 1, 4)
    elif kind == "confirm":
        template.string("text", required=True, max_len=240)
        actions_at(template, "actions", TEMPLATE, 2, 2)
    elif kind == "carousel":
        _carousel_columns(template)
        _image_options(template)
    elif kind == "image_carousel":
        for column in template.objects("columns", required=True, low=1, high=10):
            column.url("imageUrl", required=True)
            action_at(column, "action", IMAGE_CAROUSEL, required=True)


def _image_options(template: Fields) -> None:
    template.enum("imageAspectRatio", ("rectangle", "square"))
    template.enum("imageSize", ("cover", "contain"))


def _template_text_max(owner: Fields, plain_max: int) -> int:
    # An image or a title takes room from the text, so LINE allows it only 60 characters then.
    has_header = any(owner.obj.get(key) is not None for key in ("thumbnailImageUrl", "title"))
    return 60 if has_header else plain_max


def _carousel_columns(template: Fields) -> None:
    columns = template.obj.get("columns")
    first = columns[0] if isinstance(columns, list) and columns and isinstance(columns[0], dict) else None
    for column in template.objects("columns", required=True, low=1, high=10):
        column.url("thumbnailImageUrl")
        column.color("imageBackgroundColor")
        column.string("title", max_len=40)
        column.string("text", required=True, max_len=_template_text_max(column, 120))
        action_at(column, "defaultAction", TEMPLATE_DEFAULT)
        actions_at(column, "actions", TEMPLATE, 1, 3)
        if first is None or column.obj is first:
            continue
        # LINE renders all columns of a carousel alike, so they must share their shape with the first.
        for key in ("thumbnailImageUrl", "title"):
            if (column.obj.get(key) is None) != (first.get(key) is None):
                column.fail(key, "Must be set in every column or in none")
        counts = {len(a) for a in (column.obj.get("actions"), first.get("actions")) if isinstance(a, list)}
        if len(counts) > 1:
            column.fail("actions", "All columns must have the same number of actions")


def _flex(m: Fields) -> None:
    m.string("altText", required=True, max_len=1500)
    contents = m.get("contents", required=True)
    if contents is not None:
        m.out.extend(check_container(contents, m.path("contents")))


_BY_TYPE: dict[str, Callable[[Fields], None]] = {
    "text": _text,
    "textV2": _text_v2,
    "sticker": _sticker,
    "image": _image,
    "video": _video,
    "audio": _audio,
    "location": _location,
    "imagemap": _imagemap,
    "template": _template,
    "flex": _flex,
}
