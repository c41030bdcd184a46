"""Flex Message layout as CSS: each function returns the inline style of one component.

The templates walk the component tree (`pages/_flex.html`); the rules of LINE's layout live here:
keyword sizes, `flex` defaults (1 in a horizontal box, 0 in a vertical one), `spacing` between
children overridden by a child's `margin`, block paddings, button styles. Every value that reaches
CSS passes a keyword table or a strict pattern, so a message cannot inject style.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

SPACING = {"none": 0, "xs": 2, "sm": 4, "md": 8, "lg": 12, "xl": 16, "xxl": 20}
TEXT_SIZES = {"xxs": 11, "xs": 13, "sm": 14, "md": 16, "lg": 19, "xl": 22, "xxl": 29,
              "3xl": 35, "4xl": 48, "5xl": 74}
IMAGE_SIZES = {"xxs": 40, "xs": 60, "sm": 80, "md": 100, "lg": 120, "xl": 140, "xxl": 160,
               "3xl": 180, "4xl": 200, "5xl": 240}
BORDER_WIDTHS = {"none": 0, "light": 0.5, "normal": 1, "medium": 2, "semi-bold": 3, "bold": 4}
BUBBLE_WIDTHS = {"nano": 120, "micro": 160, "deca": 220, "hecto": 241, "kilo": 260, "mega": 300, "giga": 500}
BLOCK_PADDING = {"header": 20, "hero": 0, "body": 20, "footer": 10}
JUSTIFY = {"flex-start", "center", "flex-end", "space-between", "space-around", "space-evenly"}
GRAVITY = {"top": "flex-start", "center": "center", "bottom": "flex-end"}
ALIGN_SELF = {"start": "flex-start", "center": "center", "end": "flex-end"}
TEXT_ALIGN = {"start": "start", "center": "center", "end": "end"}
LINK_BLUE = "#42659a"
PRIMARY_GREEN = "#17c950"

_LENGTH = re.compile(r"\A\d{1,5}(\.\d{1,3})?(px|%)\Z")
_COLOR = re.compile(r"\A#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?\Z")
_RATIO = re.compile(r"\A(\d{1,6}):(\d{1,6})\Z")
_ANGLE = re.compile(r"\A-?\d{1,3}(\.\d{1,3})?deg\Z")


def length(value: Any, table: Mapping[str, float] | None = None) -> str | None:
    """A LINE size as CSS: a keyword from `table`, or a literal `12px` / `50%`."""
    if isinstance(value, str):
        if table is not None and value in table:
            return f"{table[value]}px"
        if _LENGTH.match(value):
            return value
    return None


def color(value: Any) -> str | None:
    return value if isinstance(value, str) and _COLOR.match(value) else None


def ratio(value: Any, default: str = "1:1") -> str:
    found = _RATIO.match(value) if isinstance(value, str) else None
    found = found or _RATIO.match(default)
    assert found is not None
    return f"{found.group(1)} / {found.group(2)}"


def _css(rules: dict[str, str | None]) -> str:
    return "; ".join(f"{k}: {v}" for k, v in rules.items() if v is not None and v != "")


def _as_child(c: dict[str, Any], parent: str, first: bool, spacing: Any) -> dict[str, str | None]:
    """What a component's parent box decides: its share of space and the gap before it."""
    horizontal = parent in ("horizontal", "baseline")
    kind = c.get("type")
    rules: dict[str, str | None] = {}
    default_flex = 0 if kind == "separator" else (1 if horizontal or kind == "filler" else 0)
    grow = c.get("flex", default_flex)
    grow = grow if isinstance(grow, int) and grow >= 0 else default_flex
    rules["flex"] = f"{grow} 0 0" if grow > 0 else "0 0 auto"
    if not first:
        gap = length(c.get("margin"), SPACING) or length(spacing, SPACING)
        rules["margin-left" if horizontal else "margin-top"] = gap
    if c.get("position") == "absolute":
        rules["position"] = "absolute"
        for side, css in (("offsetTop", "top"), ("offsetBottom", "bottom"), ("offsetStart", "left"),
                          ("offsetEnd", "right")):
            rules[css] = length(c.get(side), SPACING)
    else:
        rules["position"] = "relative"
        rules["top"] = length(c.get("offsetTop"), SPACING)
        rules["left"] = length(c.get("offsetStart"), SPACING)
    if horizontal and c.get("gravity") in GRAVITY:
        rules["align-self"] = GRAVITY[c["gravity"]]
    return rules


def box_style(box: dict[str, Any], parent: str = "vertical", first: bool = True, spacing: Any = None,
              block: str | None = None) -> str:
    rules = _as_child(box, parent, first, spacing) if block is None else {}
    layout = box.get("layout", "vertical")
    rules["flex-direction"] = "column" if layout == "vertical" else "row"
    if layout == "baseline":
        rules["align-items"] = "baseline"
    default_pad = f"{BLOCK_PADDING[block]}px" if block in BLOCK_PADDING else None
    pad_all = length(box.get("paddingAll"), SPACING) or default_pad
    rules["padding"] = pad_all
    for side, css in (("paddingTop", "padding-top"), ("paddingBottom", "padding-bottom"),
                      ("paddingStart", "padding-left"), ("paddingEnd", "padding-right")):
        rules[css] = length(box.get(side), SPACING)
    rules["background-color"] = color(box.get("backgroundColor"))
    gradient = box.get("background")
    if isinstance(gradient, dict) and gradient.get("type") == "linearGradient":
        given = gradient.get("angle")
        angle = given if isinstance(given, str) and _ANGLE.match(given) else "0deg"
        stops = [color(gradient.get("startColor")), color(gradient.get("centerColor")), color(gradient.get("endColor"))]
        if stops[0] and stops[2]:
            middle = f", {stops[1]} {length(gradient.get('centerPosition')) or '50%'}" if stops[1] else ""
            rules["background-image"] = f"linear-gradient({angle}, {stops[0]}{middle}, {stops[2]})"
    border = length(box.get("borderWidth"), BORDER_WIDTHS)
    if border:
        rules["border"] = f"{border} solid {color(box.get('borderColor')) or '#000000'}"
    rules["border-radius"] = length(box.get("cornerRadius"), SPACING)
    for key, css in (("width", "width"), ("maxWidth", "max-width"), ("height", "height"),
                     ("maxHeight", "max-height")):
        rules[css] = length(box.get(key))
    if box.get("justifyContent") in JUSTIFY:
        rules["justify-content"] = box["justifyContent"]
    if box.get("alignItems") in ("flex-start", "center", "flex-end"):
        rules["align-items"] = box["alignItems"]
    return _css(rules)


def text_style(text: dict[str, Any], parent: str = "vertical", first: bool = True, spacing: Any = None) -> str:
    rules = _as_child(text, parent, first, spacing)
    rules["font-size"] = length(text.get("size", "md"), TEXT_SIZES)
    rules.update(_font(text))
    rules["text-align"] = TEXT_ALIGN.get(str(text.get("align")))
    if text.get("wrap"):
        rules["white-space"] = "pre-wrap"
        rules["overflow-wrap"] = "anywhere"
        lines = text.get("maxLines")
        if isinstance(lines, int) and lines > 0:
            rules.update({"display": "-webkit-box", "-webkit-box-orient": "vertical",
                          "-webkit-line-clamp": str(lines), "overflow": "hidden"})
    else:
        rules.update({"white-space": "nowrap", "overflow": "hidden", "text-overflow": "ellipsis"})
    extra = length(text.get("lineSpacing"))
    if extra:
        rules["line-height"] = f"calc(1.4em + {extra})"
    return _css(rules)


def _font(part: dict[str, Any]) -> dict[str, str | None]:
    return {
        "color": color(part.get("color")),
        "font-weight": "700" if part.get("weight") == "bold" else None,
        "font-style": "italic" if part.get("style") == "italic" else None,
        "text-decoration": part.get("decoration") if part.get("decoration") in ("underline", "line-through") else None,
    }


def span_style(span: dict[str, Any]) -> str:
    rules = _font(span)
    rules["font-size"] = length(span.get("size"), TEXT_SIZES)
    return _css(rules)


def image_style(image: dict[str, Any], parent: str = "vertical", first: bool = True, spacing: Any = None) -> str:
    rules = _as_child(image, parent, first, spacing)
    size = image.get("size", "md")
    rules["width"] = "100%" if size == "full" else length(size, IMAGE_SIZES) or "100px"
    rules["max-width"] = "100%"
    rules["aspect-ratio"] = ratio(image.get("aspectRatio"))
    rules["background-color"] = color(image.get("backgroundColor"))
    align = image.get("align", "center")
    if parent == "vertical" and align in ALIGN_SELF:
        rules["align-self"] = ALIGN_SELF[align]
    if parent != "vertical" and size != "full":
        rules["flex"] = rules["flex"] if image.get("flex") is not None else "0 0 auto"
    return _css(rules)


def image_fit(image: dict[str, Any]) -> str:
    return "cover" if image.get("aspectMode") == "cover" else "contain"


def icon_style(icon: dict[str, Any]) -> str:
    size = length(icon.get("size", "md"), TEXT_SIZES) or "16px"
    width = ratio(icon.get("aspectRatio")).split(" / ")
    return _css({"height": size, "width": f"calc({size} * {width[0]} / {width[1]})",
                 "margin-left": length(icon.get("margin"), SPACING)})


def button_style(button: dict[str, Any], parent: str = "vertical", first: bool = True, spacing: Any = None) -> str:
    rules = _as_child(button, parent, first, spacing)
    style = button.get("style", "link")
    tint = color(button.get("color"))
    if style == "primary":
        rules.update({"background-color": tint or PRIMARY_GREEN, "color": "#ffffff"})
    elif style == "secondary":
        rules.update({"background-color": tint or "#dcdfe5", "color": "#111111"})
    else:
        rules.update({"background-color": "transparent", "color": tint or LINK_BLUE})
    rules["min-height"] = "40px" if button.get("height") == "sm" else "52px"
    return _css(rules)


def separator_style(sep: dict[str, Any], parent: str = "vertical", first: bool = True, spacing: Any = None) -> str:
    horizontal = parent in ("horizontal", "baseline")
    gap = None if first else length(sep.get("margin"), SPACING) or length(spacing, SPACING)
    rules: dict[str, str | None] = {"flex": "0 0 auto", "align-self": "stretch"}
    line = f"1px solid {color(sep.get('color')) or '#d4d6da'}"
    if horizontal:
        rules.update({"border-left": line, "width": "0", "margin-left": gap})
    else:
        rules.update({"border-top": line, "height": "0", "margin-top": gap})
    return _css(rules)


def filler_style(filler: dict[str, Any], parent: str = "vertical", first: bool = True) -> str:
    return _css(_as_child({**filler, "type": "filler"}, parent, first, None))


def bubble_style(bubble: dict[str, Any]) -> str:
    width = BUBBLE_WIDTHS.get(str(bubble.get("size", "mega")), 300)
    return _css({"width": f"{width}px"})


def block_style(bubble: dict[str, Any], block: str) -> str:
    styles = bubble.get("styles")
    given = styles.get(block) if isinstance(styles, dict) else None
    own: dict[str, Any] = given if isinstance(given, dict) else {}
    rules: dict[str, str | None] = {"background-color": color(own.get("backgroundColor"))}
    if own.get("separator") and block != "header":
        rules["border-top"] = f"1px solid {color(own.get('separatorColor')) or '#e5e5e5'}"
    return _css(rules)
