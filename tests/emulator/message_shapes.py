"""Messages and the checks the message-validation tests share (validation/: LINE's error details)."""

from __future__ import annotations

from typing import Any

import pytest

from linemod.emulator.errors import LineApiError
from linemod.emulator.validation.messages import validate_action, validate_message, validate_messages

TYPES = (
    "Must be one of the following values: "
    "[text, image, video, audio, location, sticker, template, imagemap, flex]"
)
IMG = "https://example.com/a.png"


def problems(message: object) -> list[tuple[str, str | None]]:
    return [(d.message, d.property) for d in validate_message(message, "messages[0]")]


def action_problems(action: object) -> list[tuple[str, str | None]]:
    return [(d.message, d.property) for d in validate_action(action, "actions[0]")]


def rejected(messages: object, **kwargs: Any) -> LineApiError:
    with pytest.raises(LineApiError) as caught:
        validate_messages(messages, **kwargs)
    return caught.value


def text(value: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"type": "text", "text": value, **extra}


def buttons(actions: list[Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "template",
        "altText": "alt",
        "template": {"type": "buttons", "text": "t", "actions": actions, **extra},
    }


def message_action(label: str = "ok", value: str = "ok") -> dict[str, Any]:
    return {"type": "message", "label": label, "text": value}


def bubble(**blocks: Any) -> dict[str, Any]:
    return {"type": "flex", "altText": "alt", "contents": {"type": "bubble", **blocks}}


def body(*contents: Any, layout: str = "vertical") -> dict[str, Any]:
    return {"type": "box", "layout": layout, "contents": list(contents)}


def imagemap(**extra: Any) -> dict[str, Any]:
    area = {"x": 0, "y": 0, "width": 1040, "height": 1040}
    action = {"type": "uri", "linkUri": "https://example.com", "area": area}
    message = {"type": "imagemap", "baseUrl": "https://example.com/map", "altText": "map"}
    return {**message, "baseSize": {"width": 1040, "height": 1040}, "actions": [action], **extra}


def carousel(*columns: dict[str, Any]) -> dict[str, Any]:
    return {"type": "template", "altText": "a", "template": {"type": "carousel", "columns": list(columns)}}


def column(actions: int = 1, **extra: Any) -> dict[str, Any]:
    return {"text": "t", "actions": [message_action()] * actions, **extra}


def quick_reply(*items: Any) -> dict[str, Any]:
    return text(quickReply={"items": list(items)})


def item(action: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "action", "action": action, **extra}
