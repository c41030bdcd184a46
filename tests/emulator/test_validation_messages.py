"""Message objects are validated the way the Messaging API validates them, with LINE's error details:
the messages array, text, stickers, media, locations, imagemaps and JSON types
(validation/messages.py, fields.py).
"""

from __future__ import annotations

from linemod.emulator.validation.messages import validate_messages
from tests.emulator.message_shapes import (
    IMG,
    TYPES,
    body,
    bubble,
    imagemap,
    problems,
    rejected,
    text,
)

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
