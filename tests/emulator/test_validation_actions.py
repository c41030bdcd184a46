"""Actions, quick replies and senders are validated as the Messaging API does (validation/actions.py).
"""

from __future__ import annotations

from tests.emulator.message_shapes import (
    action_problems,
    item,
    message_action,
    problems,
    quick_reply,
    text,
)

# --- actions ---------------------------------------------------------------------------------


def test_action_type_must_be_known() -> None:
    assert action_problems({"type": "teleport"}) == [
        (
            "Must be one of the following values: [message, postback, uri, datetimepicker, "
            "camera, cameraRoll, location, richmenuswitch, clipboard]",
            "actions[0].type",
        )
    ]


def test_action_must_be_an_object() -> None:
    assert action_problems(["message"]) == [("Must be an object", "actions[0]")]


def test_validate_action_makes_label_optional_and_allows_richmenuswitch() -> None:
    assert action_problems({"type": "richmenuswitch", "richMenuAliasId": "alias-b", "data": "tab=b"}) == []


def test_message_action_text_is_required_and_at_most_300() -> None:
    assert action_problems({"type": "message"}) == [("May not be empty", "actions[0].text")]
    assert action_problems({"type": "message", "text": "x" * 301}) == [
        ("Length must be between 0 and 300", "actions[0].text")
    ]


def test_postback_data_is_required_and_at_most_300() -> None:
    assert action_problems({"type": "postback"}) == [("May not be empty", "actions[0].data")]
    assert action_problems({"type": "postback", "data": "d" * 301}) == [
        ("Length must be between 0 and 300", "actions[0].data")
    ]


def test_postback_display_text_is_at_most_300() -> None:
    assert action_problems({"type": "postback", "data": "d", "displayText": "x" * 301}) == [
        ("Length must be between 0 and 300", "actions[0].displayText")
    ]


def test_postback_text_and_display_text_exclude_each_other() -> None:
    assert action_problems({"type": "postback", "data": "d", "displayText": "a", "text": "b"}) == [
        ("Cannot be specified together with displayText", "actions[0].text")
    ]


def test_uri_action_needs_uri() -> None:
    assert action_problems({"type": "uri", "label": "Open"}) == [("May not be empty", "actions[0].uri")]


def test_uri_action_allows_http_https_line_and_tel() -> None:
    for uri in ("http://example.com", "https://example.com", "line://nv/location", "tel:0312345678"):
        assert action_problems({"type": "uri", "uri": uri}) == []
    assert action_problems({"type": "uri", "uri": "javascript:alert(1)"}) == [
        ("Must be a valid URI with one of the following schemes: [http, https, line, tel]", "actions[0].uri")
    ]


def test_uri_action_uri_is_at_most_1000_characters() -> None:
    assert action_problems({"type": "uri", "uri": "https://example.com/" + "a" * 981}) == [
        ("Length must be between 0 and 1000", "actions[0].uri")
    ]


def test_datetimepicker_needs_data_and_known_mode() -> None:
    assert action_problems({"type": "datetimepicker", "mode": "week"}) == [
        ("May not be empty", "actions[0].data"),
        ("Must be one of the following values: [date, time, datetime]", "actions[0].mode"),
    ]


def test_datetimepicker_limits_follow_the_mode_format() -> None:
    action = {
        "type": "datetimepicker",
        "data": "d",
        "mode": "date",
        "initial": "2024-01-01",
        "max": "2024-01-01T10:00",
    }
    assert action_problems(action) == [("Must be in YYYY-MM-DD format", "actions[0].max")]


def test_richmenuswitch_needs_alias_id_and_data() -> None:
    assert action_problems({"type": "richmenuswitch"}) == [
        ("May not be empty", "actions[0].richMenuAliasId"),
        ("May not be empty", "actions[0].data"),
    ]


def test_clipboard_text_is_required_and_at_most_1000() -> None:
    assert action_problems({"type": "clipboard"}) == [("May not be empty", "actions[0].clipboardText")]
    assert action_problems({"type": "clipboard", "clipboardText": "c" * 1001}) == [
        ("Length must be between 0 and 1000", "actions[0].clipboardText")
    ]


# --- quick reply and sender ------------------------------------------------------------------


def test_quick_reply_has_one_to_thirteen_items() -> None:
    assert problems(quick_reply()) == [("Size must be between 1 and 13", "messages[0].quickReply.items")]
    assert problems(quick_reply(*[item(message_action())] * 14)) == [
        ("Size must be between 1 and 13", "messages[0].quickReply.items")
    ]


def test_quick_reply_item_type_must_be_action() -> None:
    assert problems(quick_reply({"type": "button", "action": message_action()})) == [
        ("Must be one of the following values: [action]", "messages[0].quickReply.items[0].type")
    ]


def test_quick_reply_item_needs_an_action_with_a_label() -> None:
    assert problems(quick_reply({"type": "action"}, item({"type": "postback", "data": "x"}))) == [
        ("May not be empty", "messages[0].quickReply.items[0].action"),
        ("May not be empty", "messages[0].quickReply.items[1].action.label"),
    ]


def test_quick_reply_postback_data_is_at_most_300() -> None:
    assert problems(quick_reply(item({"type": "postback", "label": "Go", "data": "d" * 301}))) == [
        ("Length must be between 0 and 300", "messages[0].quickReply.items[0].action.data")
    ]


def test_quick_reply_allows_camera_camera_roll_and_location() -> None:
    actions = [{"type": kind, "label": kind} for kind in ("camera", "cameraRoll", "location")]
    assert problems(quick_reply(*[item(action) for action in actions])) == []


def test_quick_reply_icon_must_be_https() -> None:
    assert problems(quick_reply(item(message_action(), imageUrl="http://example.com/i.png"))) == [
        ("Must be a valid HTTPS URL", "messages[0].quickReply.items[0].imageUrl")
    ]


def test_sender_name_is_at_most_20_characters_and_icon_https() -> None:
    assert problems(text(sender={"name": "n" * 21, "iconUrl": "http://example.com/i.png"})) == [
        ("Length must be between 0 and 20", "messages[0].sender.name"),
        ("Must be a valid HTTPS URL", "messages[0].sender.iconUrl"),
    ]
