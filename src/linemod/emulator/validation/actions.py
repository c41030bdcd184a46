"""Action objects (what a tap does), checked with the rules of the place the action sits in.

The same action JSON is judged differently in a template, a quick reply, a Flex message or a rich
menu: each allows different action types, and labels are required and limited differently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from linemod.emulator.errors import Detail
from linemod.emulator.validation.fields import LINK_SCHEMES, Fields, as_fields, grapheme_len

ALL_ACTION_TYPES = (
    "message", "postback", "uri", "datetimepicker", "camera", "cameraRoll", "location", "richmenuswitch",
    "clipboard",
)  # fmt: skip
_PICKER_FORMATS = {
    "date": (re.compile(r"\d{4}-\d{2}-\d{2}"), "YYYY-MM-DD"),
    "time": (re.compile(r"\d{2}:\d{2}"), "HH:mm"),
    "datetime": (re.compile(r"\d{4}-\d{2}-\d{2}[tT]\d{2}:\d{2}"), "YYYY-MM-DDtHH:mm"),
}


@dataclass(frozen=True)
class ActionPlace:
    """Where an action sits: the action types allowed there and how its label is limited."""

    types: tuple[str, ...]
    label_required: bool = False
    label_max: int = 20


_IN_MESSAGES = ("message", "postback", "uri", "datetimepicker", "clipboard")
ANYWHERE = ActionPlace(ALL_ACTION_TYPES)
TEMPLATE = ActionPlace(_IN_MESSAGES, label_required=True)
TEMPLATE_DEFAULT = ActionPlace(_IN_MESSAGES)
IMAGE_CAROUSEL = ActionPlace(_IN_MESSAGES, label_max=12)
# Camera, camera roll and location actions exist only as quick reply buttons.
QUICK_REPLY = ActionPlace((*_IN_MESSAGES, "camera", "cameraRoll", "location"), label_required=True)
FLEX = ActionPlace(_IN_MESSAGES, label_max=40)
FLEX_BUTTON = ActionPlace(_IN_MESSAGES, label_required=True, label_max=40)


def validate_action(action: object, prop: str) -> list[Detail]:
    """Problems of an action where every type is allowed and the label is optional (a rich menu area)."""
    return check_action(action, prop, ANYWHERE)


def check_action(action: object, prop: str, place: ActionPlace) -> list[Detail]:
    """Problems of an action in `place`, with paths under `prop`."""
    out: list[Detail] = []
    a = as_fields(action, prop, out, count=grapheme_len)
    if a is None:
        return out
    kind = a.enum("type", place.types, required=True)
    a.string("label", required=place.label_required, max_len=place.label_max)
    if kind == "message":
        a.string("text", required=True, max_len=300)
    elif kind == "postback":
        a.string("data", required=True, max_len=300)
        display_text = a.string("displayText", max_len=300)
        if a.string("text", max_len=300) is not None and display_text is not None:
            a.fail("text", "Cannot be specified together with displayText")
        a.enum("inputOption", ("closeRichMenu", "openRichMenu", "openKeyboard", "openVoice"))
        a.string("fillInText", max_len=300)
    elif kind == "uri":
        a.url("uri", required=True, max_len=1000, schemes=LINK_SCHEMES)
        alt_uri = a.nested("altUri")
        if alt_uri is not None:
            alt_uri.url("desktop", max_len=1000, schemes=LINK_SCHEMES)
    elif kind == "datetimepicker":
        a.string("data", required=True, max_len=300)
        mode = a.enum("mode", tuple(_PICKER_FORMATS), required=True)
        for key in ("initial", "max", "min"):
            value = a.string(key)
            if mode is not None and value is not None and not _PICKER_FORMATS[mode][0].fullmatch(value):
                a.fail(key, f"Must be in {_PICKER_FORMATS[mode][1]} format")
    elif kind == "richmenuswitch":
        a.string("richMenuAliasId", required=True, max_len=32)
        a.string("data", required=True, max_len=300)
    elif kind == "clipboard":
        a.string("clipboardText", required=True, max_len=1000)
    return out


def action_at(owner: Fields, key: str, place: ActionPlace, *, required: bool = False) -> None:
    """Checks the action in member `key` of `owner`, if any."""
    value = owner.get(key, required=required)
    if value is not None:
        owner.out.extend(check_action(value, owner.path(key), place))


def actions_at(owner: Fields, key: str, place: ActionPlace, low: int, high: int) -> None:
    """Checks the required array of `low`..`high` actions in member `key` of `owner`."""
    for item, path in owner.items(key, required=True, low=low, high=high):
        owner.out.extend(check_action(item, path, place))
