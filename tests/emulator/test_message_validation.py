"""Message objects are validated the way the Messaging API validates them, with LINE's error details."""

from __future__ import annotations

from typing import Any

import pytest
from linebot.v3.messaging import (
    ButtonsTemplate,
    CameraAction,
    CarouselColumn,
    CarouselTemplate,
    ConfirmTemplate,
    DatetimePickerAction,
    Emoji,
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexCarousel,
    FlexIcon,
    FlexImage,
    FlexMessage,
    FlexSeparator,
    FlexSpan,
    FlexText,
    ImageCarouselColumn,
    ImageCarouselTemplate,
    ImageMessage,
    LocationMessage,
    MessageAction,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    Sender,
    StickerMessage,
    TemplateMessage,
    TextMessage,
    URIAction,
)

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


# --- the messages array ----------------------------------------------------------------------


def test_valid_messages_pass() -> None:
    validate_messages([text(), text("again")])  # raises when invalid


def test_error_body_has_lines_shape_with_count() -> None:
    error = rejected([text("")])
    assert error.status == 400
    assert error.body() == {
        "message": "The request body has 1 error(s)",
        "details": [{"message": "May not be empty", "property": "messages[0].text"}],
    }


def test_all_errors_are_collected_in_document_order() -> None:
    error = rejected([text(""), {"type": "unknown"}])
    assert error.message == "The request body has 2 error(s)"
    assert [(d.message, d.property) for d in error.details] == [
        ("May not be empty", "messages[0].text"),
        (TYPES, "messages[1].type"),
    ]


def test_empty_messages_array_is_rejected_with_size_detail() -> None:
    assert [(d.message, d.property) for d in rejected([]).details] == [
        ("Size must be between 1 and 5", "messages")
    ]


def test_more_than_five_messages_are_rejected_with_size_detail() -> None:
    error = rejected([text()] * 6)
    assert [(d.message, d.property) for d in error.details] == [("Size must be between 1 and 5", "messages")]


def test_max_count_sets_the_upper_size_bound() -> None:
    validate_messages([text()] * 6, max_count=6)
    assert rejected([text()] * 7, max_count=6).details[0].message == "Size must be between 1 and 6"


def test_messages_must_be_an_array() -> None:
    assert [(d.message, d.property) for d in rejected({"type": "text"}).details] == [
        ("Must be an array", "messages")
    ]


def test_missing_messages_may_not_be_empty() -> None:
    assert [(d.message, d.property) for d in rejected(None).details] == [("May not be empty", "messages")]


def test_property_prefix_follows_prop_argument() -> None:
    assert rejected([text("")], prop="messages").details[0].property == "messages[0].text"
    assert rejected([text("")], prop="body.messages").details[0].property == "body.messages[0].text"


def test_message_must_be_an_object() -> None:
    assert problems("hello") == [("Must be an object", "messages[0]")]


def test_unknown_type_lists_the_allowed_types() -> None:
    assert problems({"type": "fax"}) == [(TYPES, "messages[0].type")]


def test_missing_type_lists_the_allowed_types() -> None:
    assert problems({"text": "hi"}) == [(TYPES, "messages[0].type")]


# --- text and textV2 -------------------------------------------------------------------------


def test_text_is_required() -> None:
    assert problems({"type": "text"}) == [("May not be empty", "messages[0].text")]


def test_text_must_be_a_string() -> None:
    assert problems(text(5)) == [("Must be a string", "messages[0].text")]  # type: ignore[arg-type]


def test_text_is_at_most_5000_characters() -> None:
    assert problems(text("a" * 5000)) == []
    assert problems(text("a" * 5001)) == [("Length must be between 0 and 5000", "messages[0].text")]


def test_text_length_counts_utf16_code_units() -> None:
    assert problems(text("🍎" * 2500)) == []
    assert problems(text("🍎" * 2500 + "a")) == [("Length must be between 0 and 5000", "messages[0].text")]


def test_emoji_needs_index_product_id_and_emoji_id() -> None:
    assert problems(text("$", emojis=[{}])) == [
        ("May not be empty", "messages[0].emojis[0].index"),
        ("May not be empty", "messages[0].emojis[0].productId"),
        ("May not be empty", "messages[0].emojis[0].emojiId"),
    ]


def test_emoji_index_must_point_to_a_dollar_sign() -> None:
    emoji = {"productId": "p", "emojiId": "001"}
    assert problems(text("🍎$", emojis=[{**emoji, "index": 2}])) == []
    assert problems(text("a$", emojis=[{**emoji, "index": 0}])) == [
        ("Must point to a $ character in text", "messages[0].emojis[0].index")
    ]


def test_at_most_20_emojis() -> None:
    emojis = [{"index": i, "productId": "p", "emojiId": "001"} for i in range(21)]
    assert problems(text("$" * 21, emojis=emojis)) == [
        ("Size must be between 0 and 20", "messages[0].emojis")
    ]


def test_text_v2_substitution_keys_are_word_characters_up_to_20() -> None:
    emoji = {"type": "emoji", "productId": "p", "emojiId": "001"}
    message = {"type": "textV2", "text": "{ok} {bad-key}", "substitution": {"ok": emoji, "bad-key": emoji}}
    assert problems(message) == [
        ("Key must be 1 to 20 letters, digits or underscores", "messages[0].substitution.bad-key")
    ]


def test_text_v2_user_mention_needs_user_id() -> None:
    message = {
        "type": "textV2",
        "text": "{u}",
        "substitution": {"u": {"type": "mention", "mentionee": {"type": "user"}}},
    }
    assert problems(message) == [("May not be empty", "messages[0].substitution.u.mentionee.userId")]


def test_text_v2_substitution_type_is_mention_or_emoji() -> None:
    message = {"type": "textV2", "text": "{x}", "substitution": {"x": {"type": "sticker"}}}
    assert problems(message) == [
        ("Must be one of the following values: [mention, emoji]", "messages[0].substitution.x.type")
    ]


def test_text_v2_emoji_substitution_needs_ids() -> None:
    message = {"type": "textV2", "text": "{e}", "substitution": {"e": {"type": "emoji"}}}
    assert problems(message) == [
        ("May not be empty", "messages[0].substitution.e.productId"),
        ("May not be empty", "messages[0].substitution.e.emojiId"),
    ]


# --- sticker, media, location, imagemap ------------------------------------------------------


def test_sticker_needs_package_id_and_sticker_id() -> None:
    assert problems({"type": "sticker"}) == [
        ("May not be empty", "messages[0].packageId"),
        ("May not be empty", "messages[0].stickerId"),
    ]


def test_sticker_ids_must_be_strings() -> None:
    assert problems({"type": "sticker", "packageId": 446, "stickerId": "1988"}) == [
        ("Must be a string", "messages[0].packageId")
    ]


def test_image_needs_original_and_preview_urls() -> None:
    assert problems({"type": "image"}) == [
        ("May not be empty", "messages[0].originalContentUrl"),
        ("May not be empty", "messages[0].previewImageUrl"),
    ]


def test_image_urls_must_be_https() -> None:
    message = {"type": "image", "originalContentUrl": "http://example.com/a.png", "previewImageUrl": IMG}
    assert problems(message) == [("Must be a valid HTTPS URL", "messages[0].originalContentUrl")]


def test_image_urls_are_at_most_2000_characters() -> None:
    long_url = "https://example.com/" + "a" * 1981
    message = {"type": "image", "originalContentUrl": IMG, "previewImageUrl": long_url}
    assert problems(message) == [("Length must be between 0 and 2000", "messages[0].previewImageUrl")]


def test_video_tracking_id_is_at_most_100_characters() -> None:
    message = {"type": "video", "originalContentUrl": IMG, "previewImageUrl": IMG, "trackingId": "t" * 101}
    assert problems(message) == [("Length must be between 0 and 100", "messages[0].trackingId")]


def test_audio_needs_an_integer_duration() -> None:
    assert problems({"type": "audio", "originalContentUrl": IMG}) == [
        ("May not be empty", "messages[0].duration")
    ]
    assert problems({"type": "audio", "originalContentUrl": IMG, "duration": "60000"}) == [
        ("Must be an integer", "messages[0].duration")
    ]


def test_location_needs_title_address_and_coordinates() -> None:
    assert problems({"type": "location"}) == [
        ("May not be empty", "messages[0].title"),
        ("May not be empty", "messages[0].address"),
        ("May not be empty", "messages[0].latitude"),
        ("May not be empty", "messages[0].longitude"),
    ]


def test_location_title_and_address_are_at_most_100_characters() -> None:
    message = {
        "type": "location",
        "title": "t" * 101,
        "address": "a" * 101,
        "latitude": 35.6,
        "longitude": 139,
    }
    assert problems(message) == [
        ("Length must be between 0 and 100", "messages[0].title"),
        ("Length must be between 0 and 100", "messages[0].address"),
    ]


def test_location_coordinates_must_be_numbers() -> None:
    message = {"type": "location", "title": "t", "address": "a", "latitude": "35.6", "longitude": True}
    assert problems(message) == [
        ("Must be a number", "messages[0].latitude"),
        ("Must be a number", "messages[0].longitude"),
    ]


def imagemap(**extra: Any) -> dict[str, Any]:
    area = {"x": 0, "y": 0, "width": 1040, "height": 1040}
    action = {"type": "uri", "linkUri": "https://example.com", "area": area}
    message = {"type": "imagemap", "baseUrl": "https://example.com/map", "altText": "map"}
    return {**message, "baseSize": {"width": 1040, "height": 1040}, "actions": [action], **extra}


def test_valid_imagemap_passes() -> None:
    assert problems(imagemap()) == []


def test_imagemap_base_width_must_be_1040() -> None:
    assert problems(imagemap(baseSize={"width": 700, "height": 700})) == [
        ("Must be 1040", "messages[0].baseSize.width")
    ]


def test_imagemap_action_needs_area_and_allowed_link() -> None:
    assert problems(imagemap(actions=[{"type": "uri", "linkUri": "ftp://example.com"}])) == [
        ("May not be empty", "messages[0].actions[0].area"),
        (
            "Must be a valid URI with one of the following schemes: [http, https, line, tel]",
            "messages[0].actions[0].linkUri",
        ),
    ]


def test_imagemap_message_action_text_is_at_most_400() -> None:
    area = {"x": 0, "y": 0, "width": 10, "height": 10}
    assert problems(imagemap(actions=[{"type": "message", "text": "x" * 401, "area": area}])) == [
        ("Length must be between 0 and 400", "messages[0].actions[0].text")
    ]


# --- templates -------------------------------------------------------------------------------


def test_template_needs_alt_text_and_template() -> None:
    assert problems({"type": "template"}) == [
        ("May not be empty", "messages[0].altText"),
        ("May not be empty", "messages[0].template"),
    ]


def test_template_alt_text_is_at_most_400_characters() -> None:
    message = {**buttons([message_action()]), "altText": "a" * 401}
    assert problems(message) == [("Length must be between 0 and 400", "messages[0].altText")]


def test_template_type_must_be_known() -> None:
    message = {"type": "template", "altText": "a", "template": {"type": "list"}}
    assert problems(message) == [
        (
            "Must be one of the following values: [buttons, confirm, carousel, image_carousel]",
            "messages[0].template.type",
        )
    ]


def test_buttons_text_is_at_most_160_characters() -> None:
    assert problems(buttons([message_action()], text="t" * 160)) == []
    assert problems(buttons([message_action()], text="t" * 161)) == [
        ("Length must be between 0 and 160", "messages[0].template.text")
    ]


def test_buttons_text_is_at_most_60_characters_with_title_or_image() -> None:
    assert problems(buttons([message_action()], text="t" * 61, title="Title")) == [
        ("Length must be between 0 and 60", "messages[0].template.text")
    ]
    assert problems(buttons([message_action()], text="t" * 61, thumbnailImageUrl=IMG)) == [
        ("Length must be between 0 and 60", "messages[0].template.text")
    ]


def test_buttons_title_is_at_most_40_characters() -> None:
    assert problems(buttons([message_action()], title="t" * 41)) == [
        ("Length must be between 0 and 40", "messages[0].template.title")
    ]


def test_buttons_have_one_to_four_actions() -> None:
    assert problems(buttons([])) == [("Size must be between 1 and 4", "messages[0].template.actions")]
    assert problems(buttons([message_action()] * 5)) == [
        ("Size must be between 1 and 4", "messages[0].template.actions")
    ]


def test_buttons_image_options_are_enumerated() -> None:
    message = buttons([message_action()], imageAspectRatio="wide", imageBackgroundColor="white")
    assert problems(message) == [
        ("Must be one of the following values: [rectangle, square]", "messages[0].template.imageAspectRatio"),
        ("Must be a color code in #RRGGBB or #RRGGBBAA format", "messages[0].template.imageBackgroundColor"),
    ]


def test_template_action_label_is_required() -> None:
    assert problems(buttons([{"type": "message", "text": "yes"}])) == [
        ("May not be empty", "messages[0].template.actions[0].label")
    ]


def test_template_action_label_is_at_most_20_characters() -> None:
    assert problems(buttons([message_action(), message_action(), message_action(label="l" * 21)])) == [
        ("Length must be between 0 and 20", "messages[0].template.actions[2].label")
    ]


def test_template_actions_exclude_quick_reply_only_types() -> None:
    assert problems(buttons([{"type": "camera", "label": "Camera"}])) == [
        (
            "Must be one of the following values: [message, postback, uri, datetimepicker, clipboard]",
            "messages[0].template.actions[0].type",
        )
    ]


def test_confirm_has_exactly_two_actions() -> None:
    template = {"type": "confirm", "text": "Sure?", "actions": [message_action()]}
    message = {"type": "template", "altText": "a", "template": template}
    assert problems(message) == [("Size must be between 2 and 2", "messages[0].template.actions")]


def test_confirm_text_is_at_most_240_characters() -> None:
    template = {"type": "confirm", "text": "t" * 241, "actions": [message_action(), message_action()]}
    assert problems({"type": "template", "altText": "a", "template": template}) == [
        ("Length must be between 0 and 240", "messages[0].template.text")
    ]


def carousel(*columns: dict[str, Any]) -> dict[str, Any]:
    return {"type": "template", "altText": "a", "template": {"type": "carousel", "columns": list(columns)}}


def column(actions: int = 1, **extra: Any) -> dict[str, Any]:
    return {"text": "t", "actions": [message_action()] * actions, **extra}


def test_carousel_has_one_to_ten_columns() -> None:
    assert problems(carousel()) == [("Size must be between 1 and 10", "messages[0].template.columns")]
    assert problems(carousel(*[column()] * 11)) == [
        ("Size must be between 1 and 10", "messages[0].template.columns")
    ]


def test_carousel_columns_have_one_to_three_actions() -> None:
    assert problems(carousel(column(actions=4))) == [
        ("Size must be between 1 and 3", "messages[0].template.columns[0].actions")
    ]


def test_carousel_columns_have_the_same_number_of_actions() -> None:
    assert problems(carousel(column(actions=2), column(actions=2), column(actions=1))) == [
        ("All columns must have the same number of actions", "messages[0].template.columns[2].actions")
    ]


def test_carousel_columns_all_or_none_have_title_and_image() -> None:
    assert problems(carousel(column(title="A"), column())) == [
        ("Must be set in every column or in none", "messages[0].template.columns[1].title")
    ]


def test_carousel_column_text_is_at_most_120_or_60_with_title() -> None:
    assert problems(carousel(column(text="t" * 121))) == [
        ("Length must be between 0 and 120", "messages[0].template.columns[0].text")
    ]
    assert problems(carousel(column(text="t" * 61, thumbnailImageUrl=IMG))) == [
        ("Length must be between 0 and 60", "messages[0].template.columns[0].text")
    ]


def test_image_carousel_columns_need_image_url_and_action() -> None:
    message = {"type": "template", "altText": "a", "template": {"type": "image_carousel", "columns": [{}]}}
    assert problems(message) == [
        ("May not be empty", "messages[0].template.columns[0].imageUrl"),
        ("May not be empty", "messages[0].template.columns[0].action"),
    ]


def test_image_carousel_action_label_is_at_most_12_characters() -> None:
    columns = [{"imageUrl": IMG, "action": message_action(label="l" * 13)}]
    message = {"type": "template", "altText": "a", "template": {"type": "image_carousel", "columns": columns}}
    assert problems(message) == [
        ("Length must be between 0 and 12", "messages[0].template.columns[0].action.label")
    ]


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


def quick_reply(*items: Any) -> dict[str, Any]:
    return text(quickReply={"items": list(items)})


def item(action: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "action", "action": action, **extra}


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


# --- flex ------------------------------------------------------------------------------------


def test_flex_needs_alt_text_and_contents() -> None:
    assert problems({"type": "flex"}) == [
        ("May not be empty", "messages[0].altText"),
        ("May not be empty", "messages[0].contents"),
    ]


def test_flex_alt_text_is_at_most_1500_characters() -> None:
    assert problems({**bubble(), "altText": "a" * 1501}) == [
        ("Length must be between 0 and 1500", "messages[0].altText")
    ]


def test_flex_container_is_bubble_or_carousel() -> None:
    assert problems({"type": "flex", "altText": "a", "contents": {"type": "box"}}) == [
        ("Must be one of the following values: [bubble, carousel]", "messages[0].contents.type")
    ]


def test_flex_carousel_has_one_to_twelve_bubbles() -> None:
    carousel_of = {
        "type": "flex",
        "altText": "a",
        "contents": {"type": "carousel", "contents": [{"type": "bubble"}] * 13},
    }
    assert problems(carousel_of) == [("Size must be between 1 and 12", "messages[0].contents.contents")]


def test_flex_carousel_holds_only_bubbles() -> None:
    message = {
        "type": "flex",
        "altText": "a",
        "contents": {"type": "carousel", "contents": [{"type": "carousel"}]},
    }
    assert problems(message) == [
        ("Must be one of the following values: [bubble]", "messages[0].contents.contents[0].type")
    ]


def test_flex_box_needs_layout_and_contents() -> None:
    assert problems(bubble(body={"type": "box"})) == [
        ("May not be empty", "messages[0].contents.body.layout"),
        ("May not be empty", "messages[0].contents.body.contents"),
    ]


def test_flex_box_layout_is_horizontal_vertical_or_baseline() -> None:
    assert problems(bubble(body=body(layout="grid"))) == [
        (
            "Must be one of the following values: [horizontal, vertical, baseline]",
            "messages[0].contents.body.layout",
        )
    ]


def test_flex_header_body_and_footer_are_boxes() -> None:
    assert problems(bubble(header={"type": "text", "text": "hi"})) == [
        ("Must be one of the following values: [box]", "messages[0].contents.header.type")
    ]


def test_flex_text_needs_text_at_a_nested_path() -> None:
    message = bubble(body=body({"type": "text", "text": "ok"}, {"type": "text"}))
    assert problems(message) == [("May not be empty", "messages[0].contents.body.contents[1].text")]


def test_flex_text_made_of_spans_needs_no_text_but_spans_do() -> None:
    spans = [{"type": "span", "text": "bold", "weight": "bold"}, {"type": "span"}]
    assert problems(bubble(body=body({"type": "text", "contents": spans}))) == [
        ("May not be empty", "messages[0].contents.body.contents[0].contents[1].text")
    ]


def test_flex_image_url_must_be_https() -> None:
    assert problems(bubble(hero={"type": "image", "url": "http://example.com/a.png"})) == [
        ("Must be a valid HTTPS URL", "messages[0].contents.hero.url")
    ]


def test_flex_image_aspect_ratio_is_width_colon_height() -> None:
    assert problems(bubble(hero={"type": "image", "url": IMG, "aspectRatio": "20:13"})) == []
    assert problems(bubble(hero={"type": "image", "url": IMG, "aspectRatio": "1:4"})) == [
        (
            "Must be {width}:{height}, each 1 to 100000, with height at most 3 times width",
            "messages[0].contents.hero.aspectRatio",
        )
    ]


def test_flex_button_needs_an_action_with_a_label() -> None:
    message = bubble(
        footer=body({"type": "button"}, {"type": "button", "action": {"type": "postback", "data": "x"}})
    )
    assert problems(message) == [
        ("May not be empty", "messages[0].contents.footer.contents[0].action"),
        ("May not be empty", "messages[0].contents.footer.contents[1].action.label"),
    ]


def test_flex_button_style_is_enumerated() -> None:
    message = bubble(footer=body({"type": "button", "style": "danger", "action": message_action()}))
    assert problems(message) == [
        (
            "Must be one of the following values: [primary, secondary, link]",
            "messages[0].contents.footer.contents[0].style",
        )
    ]


def test_flex_baseline_box_holds_only_icons_texts_and_fillers() -> None:
    message = bubble(body=body({"type": "icon", "url": IMG}, {"type": "separator"}, layout="baseline"))
    assert problems(message) == [
        (
            "Must be one of the following values: [icon, text, filler]",
            "messages[0].contents.body.contents[1].type",
        )
    ]


def test_flex_icon_is_only_allowed_in_baseline_boxes() -> None:
    assert problems(bubble(body=body({"type": "icon", "url": IMG}))) == [
        (
            "Must be one of the following values: [box, button, image, text, separator, filler]",
            "messages[0].contents.body.contents[0].type",
        )
    ]


def test_flex_video_hero_needs_alt_content_and_a_large_bubble() -> None:
    video = {"type": "video", "url": "https://example.com/v.mp4", "previewUrl": IMG}
    assert problems(bubble(hero=video)) == [
        ("May not be empty", "messages[0].contents.hero.altContent"),
        ("Must be one of the following values: [kilo, mega, giga]", "messages[0].contents.size"),
    ]
    assert problems(bubble(size="mega", hero={**video, "altContent": {"type": "image", "url": IMG}})) == []


def test_flex_colors_are_hex_codes() -> None:
    assert problems(bubble(body={**body(), "backgroundColor": "red"})) == [
        ("Must be a color code in #RRGGBB or #RRGGBBAA format", "messages[0].contents.body.backgroundColor")
    ]


def test_flex_box_background_needs_a_known_type_and_angle() -> None:
    assert problems(bubble(body={**body(), "background": {"type": "radial"}})) == [
        (
            "Must be one of the following values: [linearGradient]",
            "messages[0].contents.body.background.type",
        ),
        ("May not be empty", "messages[0].contents.body.background.angle"),
    ]


# --- JSON types ------------------------------------------------------------------------------


def test_values_of_the_wrong_json_type_are_named() -> None:
    message = text(quickReply={"items": "none"}, sender="bot")
    assert problems(message) == [
        ("Must be an array", "messages[0].quickReply.items"),
        ("Must be an object", "messages[0].sender"),
    ]
    assert problems(bubble(body={**body(), "flex": 1.5})) == [
        ("Must be an integer", "messages[0].contents.body.flex")
    ]
    assert problems(bubble(body=body({"type": "text", "text": "t", "wrap": "yes"}))) == [
        ("Must be a boolean", "messages[0].contents.body.contents[0].wrap")
    ]


# --- whole payloads --------------------------------------------------------------------------


def test_rich_valid_payload_passes() -> None:
    quick = {
        "items": [
            item(message_action("Yes", "yes"), imageUrl=IMG),
            item({"type": "postback", "label": "Later", "data": "later", "displayText": "Later"}),
            item(
                {
                    "type": "datetimepicker",
                    "label": "Pick",
                    "data": "d",
                    "mode": "datetime",
                    "initial": "2024-05-01t10:00",
                }
            ),
            item({"type": "location", "label": "Where"}),
        ]
    }
    flex_body = {
        "type": "box",
        "layout": "vertical",
        "spacing": "md",
        "contents": [
            {"type": "text", "text": "Salon", "weight": "bold", "size": "xl", "wrap": True},
            {
                "type": "box",
                "layout": "baseline",
                "contents": [
                    {"type": "icon", "url": IMG, "size": "sm"},
                    {"type": "text", "text": "4.0", "flex": 0, "margin": "md", "color": "#999999"},
                ],
            },
            {"type": "separator", "margin": "lg"},
            {"type": "image", "url": IMG, "size": "full", "aspectRatio": "20:13", "aspectMode": "cover"},
            {
                "type": "text",
                "contents": [
                    {"type": "span", "text": "Open ", "weight": "bold"},
                    {"type": "span", "text": "now"},
                ],
            },
        ],
    }
    payload = [
        text(
            "Hello $",
            emojis=[{"index": 6, "productId": "5ac1bfd5040ab15980c9b435", "emojiId": "001"}],
            quickReply=quick,
        ),
        {"type": "sticker", "packageId": "446", "stickerId": "1988"},
        {"type": "image", "originalContentUrl": IMG, "previewImageUrl": IMG},
        {
            "type": "location",
            "title": "Office",
            "address": "Tokyo",
            "latitude": 35.65910807942215,
            "longitude": 139.70372892916203,
        },
        buttons(
            [message_action("Book"), {"type": "uri", "label": "Site", "uri": "https://example.com"}],
            thumbnailImageUrl=IMG,
            imageAspectRatio="square",
            imageBackgroundColor="#FFFFFF",
            title="Menu",
            defaultAction={"type": "uri", "uri": "https://example.com"},
        ),
    ]
    more = [
        {
            "type": "template",
            "altText": "Sure?",
            "template": {
                "type": "confirm",
                "text": "Sure?",
                "actions": [message_action("Yes"), message_action("No")],
            },
        },
        carousel(column(2, title="A", thumbnailImageUrl=IMG), column(2, title="B", thumbnailImageUrl=IMG)),
        {
            "type": "flex",
            "altText": "Salon",
            "sender": {"name": "Reception", "iconUrl": IMG},
            "contents": {
                "type": "bubble",
                "size": "mega",
                "header": body({"type": "text", "text": "Header"}),
                "hero": {
                    "type": "image",
                    "url": IMG,
                    "size": "full",
                    "action": {"type": "uri", "uri": "https://example.com"},
                },
                "body": flex_body,
                "footer": {
                    "type": "box",
                    "layout": "vertical",
                    "contents": [
                        {
                            "type": "button",
                            "style": "primary",
                            "height": "sm",
                            "action": message_action("Book"),
                        },
                        {"type": "separator"},
                        {
                            "type": "button",
                            "style": "link",
                            "action": {"type": "uri", "label": "Web", "uri": "https://example.com"},
                        },
                        {"type": "filler"},
                    ],
                    "background": {
                        "type": "linearGradient",
                        "angle": "90deg",
                        "startColor": "#FFFFFF",
                        "endColor": "#000000",
                    },
                },
                "styles": {"footer": {"separator": True, "separatorColor": "#EEEEEE"}},
            },
        },
    ]
    validate_messages(payload)
    validate_messages(more)


def test_payload_built_with_the_official_sdk_passes() -> None:
    quick = QuickReply(
        items=[
            QuickReplyItem(action=MessageAction(label="Yes", text="yes")),
            QuickReplyItem(action=CameraAction(label="Camera")),
            QuickReplyItem(
                action=DatetimePickerAction(label="Date", data="date", mode="date", initial="2024-05-01")
            ),
        ]
    )
    bubble_ = FlexBubble(
        header=FlexBox(layout="vertical", contents=[FlexText(text="Header")]),
        hero=FlexImage(url=IMG, size="full", aspect_ratio="20:13", aspect_mode="cover"),
        body=FlexBox(
            layout="vertical",
            contents=[
                FlexText(text="Title", weight="bold", size="xl", wrap=True),
                FlexBox(layout="baseline", contents=[FlexIcon(url=IMG), FlexText(text="4.0", flex=0)]),
                FlexSeparator(margin="md"),
                FlexText(contents=[FlexSpan(text="Open "), FlexSpan(text="now", weight="bold")]),
            ],
        ),
        footer=FlexBox(
            layout="vertical",
            contents=[
                FlexButton(
                    style="primary", action=PostbackAction(label="Book", data="book=1", display_text="Book")
                ),
                FlexButton(style="link", action=URIAction(label="Web", uri="https://example.com")),
            ],
        ),
    )
    messages = [
        TextMessage(
            text="Hi $",
            emojis=[Emoji(index=3, product_id="5ac1bfd5040ab15980c9b435", emoji_id="001")],
            quick_reply=quick,
            sender=Sender(name="Bot", icon_url=IMG),
        ),
        StickerMessage(package_id="446", sticker_id="1988"),
        ImageMessage(original_content_url=IMG, preview_image_url=IMG),
        LocationMessage(title="Office", address="Tokyo", latitude=35.65, longitude=139.70),
        FlexMessage(alt_text="Bubble", contents=bubble_),
    ]
    templates = [
        TemplateMessage(
            alt_text="Buttons",
            template=ButtonsTemplate(
                title="Menu", text="Pick one", actions=[MessageAction(label="A", text="a")]
            ),
        ),
        TemplateMessage(
            alt_text="Confirm",
            template=ConfirmTemplate(
                text="Sure?",
                actions=[MessageAction(label="Yes", text="yes"), MessageAction(label="No", text="no")],
            ),
        ),
        TemplateMessage(
            alt_text="Carousel",
            template=CarouselTemplate(
                columns=[
                    CarouselColumn(text="One", actions=[MessageAction(label="1", text="1")]),
                    CarouselColumn(text="Two", actions=[MessageAction(label="2", text="2")]),
                ]
            ),
        ),
        TemplateMessage(
            alt_text="Images",
            template=ImageCarouselTemplate(
                columns=[
                    ImageCarouselColumn(
                        image_url=IMG, action=URIAction(label="Open", uri="https://example.com")
                    )
                ]
            ),
        ),
        FlexMessage(alt_text="Carousel", contents=FlexCarousel(contents=[bubble_, bubble_])),
    ]
    validate_messages([m.to_dict() for m in messages])
    validate_messages([m.to_dict() for m in templates])
