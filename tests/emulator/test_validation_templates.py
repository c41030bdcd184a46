"""Template messages are validated as the Messaging API does: buttons, confirm, carousels
(validation/messages.py).
"""

from __future__ import annotations

from tests.emulator.message_shapes import (
    IMG,
    buttons,
    carousel,
    column,
    message_action,
    problems,
)

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
