"""Flex Message containers (bubble, carousel) and their components, checked recursively.

Besides the OpenAPI schemas this applies the placement rules LINE documents: header, body and footer
are boxes; the hero is a box, an image or a video; a baseline box holds only icons, texts and fillers;
spans live only inside a text; a video needs a kilo, mega or giga bubble.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from linemod.emulator.errors import Detail
from linemod.emulator.validation.actions import FLEX, FLEX_BUTTON, action_at
from linemod.emulator.validation.fields import Fields, as_fields, one_of

BUBBLE_SIZES = ("nano", "micro", "deca", "hecto", "kilo", "mega", "giga")
_VIDEO_BUBBLE_SIZES = ("kilo", "mega", "giga")
_CHILDREN = {
    "horizontal": ("box", "button", "image", "text", "separator", "filler"),
    "vertical": ("box", "button", "image", "text", "separator", "filler"),
    "baseline": ("icon", "text", "filler"),
}
_BLOCKS = (
    ("header", ("box",)),
    ("hero", ("box", "image", "video")),
    ("body", ("box",)),
    ("footer", ("box",)),
)
_ANY_CHILD = ("box", "button", "image", "icon", "text", "separator", "filler")
_ALIGN_ITEMS = ("center", "flex-start", "flex-end")
_POSITIONS = ("relative", "absolute")
_ALIGNS = ("start", "end", "center")
_GRAVITIES = ("top", "bottom", "center")
_WEIGHTS = ("regular", "bold")
_STYLES = ("normal", "italic")
_DECORATIONS = ("none", "underline", "line-through")
_OFFSETS = ("offsetTop", "offsetBottom", "offsetStart", "offsetEnd")
_ASPECT_RATIO = re.compile(r"(\d{1,6}):(\d{1,6})")


def check_container(container: object, prop: str) -> list[Detail]:
    """Problems of a Flex container (a message's `contents`), with paths under `prop`."""
    out: list[Detail] = []
    c = as_fields(container, prop, out)
    if c is None:
        return out
    kind = c.enum("type", ("bubble", "carousel"), required=True)
    if kind == "bubble":
        _bubble(c)
    elif kind == "carousel":
        for bubble in c.objects("contents", required=True, low=1, high=12):
            if bubble.enum("type", ("bubble",), required=True):
                _bubble(bubble)
    return out


def _bubble(b: Fields) -> None:
    size = b.enum("size", BUBBLE_SIZES)
    b.enum("direction", ("ltr", "rtl"))
    for block, allowed in _BLOCKS:
        _child(b, block, allowed)
    hero = b.obj.get("hero")
    if isinstance(hero, dict) and hero.get("type") == "video" and size not in _VIDEO_BUBBLE_SIZES:
        b.fail("size", one_of(_VIDEO_BUBBLE_SIZES))
    styles = b.nested("styles")
    if styles is not None:
        for block in ("header", "hero", "body", "footer"):
            style = styles.nested(block)
            if style is not None:
                style.color("backgroundColor")
                style.boolean("separator")
                style.color("separatorColor")
    action_at(b, "action", FLEX)


def _child(owner: Fields, key: str, allowed: tuple[str, ...]) -> None:
    value = owner.get(key)
    if value is not None:
        _component(value, owner.path(key), owner.out, allowed)


def _component(value: object, prop: str, out: list[Detail], allowed: tuple[str, ...]) -> None:
    c = as_fields(value, prop, out)
    if c is None:
        return
    kind = c.enum("type", allowed, required=True)
    if kind is not None:
        _COMPONENTS[kind](c)


def _box(c: Fields) -> None:
    layout = c.enum("layout", tuple(_CHILDREN), required=True)
    # With the layout itself wrong, judge children leniently rather than pile up follow-on errors.
    allowed = _CHILDREN[layout] if layout is not None else _ANY_CHILD
    for item, path in c.items("contents", required=True):
        _component(item, path, c.out, allowed)
    c.integer("flex", minimum=0)
    c.strings("spacing", "margin", *_OFFSETS, "borderWidth", "cornerRadius", "width", "maxWidth", "height")
    c.strings("maxHeight", "paddingAll", "paddingTop", "paddingBottom", "paddingStart", "paddingEnd")
    c.enum("position", _POSITIONS)
    c.color("backgroundColor")
    c.color("borderColor")
    action_at(c, "action", FLEX)
    c.enum("justifyContent", (*_ALIGN_ITEMS, "space-between", "space-around", "space-evenly"))
    c.enum("alignItems", _ALIGN_ITEMS)
    background = c.nested("background")
    if background is not None:
        background.enum("type", ("linearGradient",), required=True)
        background.string("angle", required=True)
        background.color("startColor")
        background.color("endColor")
        background.color("centerColor")
        background.string("centerPosition")


def _text(c: Fields) -> None:
    spans = c.obj.get("contents")
    # A text made of spans shows the spans instead of `text`, so `text` may then be left out.
    c.string("text", required=not (isinstance(spans, list) and spans))
    for span in c.objects("contents"):
        if span.enum("type", ("span",), required=True):
            _span(span)
    c.integer("flex", minimum=0)
    c.strings("size", "lineSpacing", "margin", *_OFFSETS)
    c.enum("align", _ALIGNS)
    c.enum("gravity", _GRAVITIES)
    c.color("color")
    c.enum("weight", _WEIGHTS)
    c.enum("style", _STYLES)
    c.enum("decoration", _DECORATIONS)
    c.boolean("wrap")
    c.enum("position", _POSITIONS)
    action_at(c, "action", FLEX)
    c.integer("maxLines", minimum=0)
    c.enum("adjustMode", ("shrink-to-fit",))
    c.boolean("scaling")


def _span(c: Fields) -> None:
    c.string("text", required=True)
    c.string("size")
    c.color("color")
    c.enum("weight", _WEIGHTS)
    c.enum("style", _STYLES)
    c.enum("decoration", _DECORATIONS)


def _image(c: Fields) -> None:
    c.url("url", required=True)
    c.integer("flex", minimum=0)
    c.strings("margin", "size", *_OFFSETS)
    c.enum("position", _POSITIONS)
    c.enum("align", _ALIGNS)
    c.enum("gravity", _GRAVITIES)
    _aspect_ratio(c)
    c.enum("aspectMode", ("fit", "cover"))
    c.color("backgroundColor")
    action_at(c, "action", FLEX)
    c.boolean("animated")


def _aspect_ratio(c: Fields) -> None:
    value = c.string("aspectRatio")
    if value is None:
        return
    match = _ASPECT_RATIO.fullmatch(value)
    width, height = (int(match[1]), int(match[2])) if match else (0, 0)
    if not (1 <= width <= 100000 and 1 <= height <= 100000 and height <= 3 * width):
        c.fail("aspectRatio", "Must be {width}:{height}, each 1 to 100000, with height at most 3 times width")


def _button(c: Fields) -> None:
    action_at(c, "action", FLEX_BUTTON, required=True)
    c.integer("flex", minimum=0)
    c.color("color")
    c.enum("style", ("primary", "secondary", "link"))
    c.enum("gravity", _GRAVITIES)
    c.strings("margin", *_OFFSETS)
    c.enum("position", _POSITIONS)
    c.enum("height", ("md", "sm"))
    c.enum("adjustMode", ("shrink-to-fit",))
    c.boolean("scaling")


def _icon(c: Fields) -> None:
    c.url("url", required=True)
    c.strings("size", "margin", *_OFFSETS)
    _aspect_ratio(c)
    c.enum("position", _POSITIONS)
    c.boolean("scaling")


def _video(c: Fields) -> None:
    c.url("url", required=True)
    c.url("previewUrl", required=True)
    alt_content = c.get("altContent", required=True)
    if alt_content is not None:
        _component(alt_content, c.path("altContent"), c.out, ("box", "image"))
    _aspect_ratio(c)
    action_at(c, "action", FLEX)


def _separator(c: Fields) -> None:
    c.string("margin")
    c.color("color")


def _filler(c: Fields) -> None:
    c.integer("flex", minimum=0)


_COMPONENTS: dict[str, Callable[[Fields], None]] = {
    "box": _box,
    "text": _text,
    "image": _image,
    "button": _button,
    "icon": _icon,
    "video": _video,
    "separator": _separator,
    "filler": _filler,
}
