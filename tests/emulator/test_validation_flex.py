"""Flex messages are validated as the Messaging API does (validation/flex.py).
"""

from __future__ import annotations

from tests.emulator.message_shapes import (
    IMG,
    body,
    bubble,
    message_action,
    problems,
)

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
