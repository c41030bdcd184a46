"""The rules the pages draw by, without HTTP: action references, text runs, Flex layout, words."""

from __future__ import annotations

from linemod.emulator.pages import chat_view, flex
from linemod.emulator.pages.catalog import MESSAGES
from linemod.emulator.pages.i18n import Translator
from linemod.emulator.platform.entities import ChatEntry

CAROUSEL = {
    "type": "template", "altText": "a",
    "template": {"type": "carousel", "columns": [
        {"text": "one", "defaultAction": {"type": "uri", "label": "u", "uri": "https://a.example"},
         "actions": [{"type": "message", "label": "m", "text": "m"}]},
        {"text": "two", "actions": [{"type": "postback", "label": "p", "data": "p"}]}]},
    "quickReply": {"items": [{"type": "action", "action": {"type": "camera", "label": "c"}}]},
}


def test_every_action_gets_a_reference_that_finds_it_again() -> None:
    shown = chat_view.annotate(CAROUSEL, "42")
    refs = [a["_ref"] for a in chat_view.actions_in(shown)]
    assert refs == ["42:0", "42:1", "42:2", "42:3"]
    entries = [ChatEntry(id="42", sender="channel:1", timestamp=0, message=CAROUSEL)]
    assert chat_view.find_action(entries, "42:3") == {"type": "camera", "label": "c"}
    assert chat_view.find_action(entries, "42:1") == {"type": "message", "label": "m", "text": "m"}
    for bad in ("42:4", "42:x", "43:0", "nonsense"):
        assert chat_view.find_action(entries, bad) is None
    assert "_ref" not in str(CAROUSEL)  # the stored message is never touched


def test_flex_actions_of_boxes_texts_and_buttons_are_found() -> None:
    bubble = {"type": "flex", "altText": "f", "contents": {"type": "bubble", "action": {"type": "message", "text": "b"},
              "body": {"type": "box", "layout": "vertical", "contents": [
                  {"type": "text", "text": "t", "action": {"type": "postback", "data": "t"}},
                  {"type": "button", "action": {"type": "datetimepicker", "data": "d", "mode": "time"}}]}}}
    kinds = [a["type"] for a in chat_view.actions_in(bubble)]
    assert kinds == ["message", "postback", "datetimepicker"]


def test_text_runs_keep_line_emojis_links_and_mentions() -> None:
    parts = chat_view.text_parts({"type": "text", "text": "Hi $ see https://a.example/x ok", "emojis": [
        {"index": 3, "productId": "p", "emojiId": "001"}]})
    assert [p["kind"] for p in parts] == ["text", "emoji", "text", "link", "text"]
    assert parts[1]["label"] == "p/001" and parts[3]["text"] == "https://a.example/x"
    v2 = chat_view.text_parts({"type": "textV2", "text": "{who} {e}!", "substitution": {
        "who": {"type": "mention", "mentionee": {"type": "all"}},
        "e": {"type": "emoji", "productId": "p", "emojiId": "002"}}})
    assert [p["kind"] for p in v2] == ["mention", "text", "emoji", "text"] and v2[0]["text"] == "@All"


def test_only_safe_links_are_opened() -> None:
    assert chat_view.safe_uri("https://a.example") == "https://a.example"
    assert chat_view.safe_uri("tel:0312345678") == "tel:0312345678"
    assert chat_view.safe_uri("javascript:alert(1)") == "#"
    assert chat_view.safe_uri(None) == "#"


def test_flex_children_share_a_horizontal_box_and_stack_in_a_vertical_one() -> None:
    text = {"type": "text", "text": "x"}
    assert "flex: 1 0 0" in flex.text_style(text, "horizontal")
    assert "flex: 0 0 auto" in flex.text_style(text, "vertical")
    assert "flex: 3 0 0" in flex.text_style({**text, "flex": 3}, "vertical")
    # spacing of the parent goes before every child but the first; a child's margin wins
    assert "margin-top" not in flex.text_style(text, "vertical", first=True, spacing="md")
    assert "margin-top: 8px" in flex.text_style(text, "vertical", first=False, spacing="md")
    assert "margin-left: 20px" in flex.text_style({**text, "margin": "xxl"}, "horizontal", first=False, spacing="sm")


def test_flex_keywords_become_sizes_and_nothing_else_reaches_css() -> None:
    assert "font-size: 22px" in flex.text_style({"type": "text", "size": "xl"})
    assert "width: 100%" in flex.image_style({"type": "image", "size": "full"})
    assert "aspect-ratio: 20 / 13" in flex.image_style({"type": "image", "aspectRatio": "20:13"})
    assert "background-color: #17c950" in flex.button_style({"type": "button", "style": "primary"})
    assert "padding: 20px" in flex.box_style({"type": "box", "layout": "vertical"}, block="body")
    hostile = flex.box_style({"type": "box", "layout": "vertical", "backgroundColor": "red;background:url(x)",
                              "width": "1px;position:fixed", "cornerRadius": "expression(1)"})
    assert "url(" not in hostile and "fixed" not in hostile and "expression" not in hostile


def test_both_languages_have_every_word() -> None:
    for key, (ja, en) in MESSAGES.items():
        assert ja and en, key
    assert Translator("ja")("status.suspended") == "停止中"
    assert Translator("en")("manager.friends", n=3) == "3 friends"
    assert Translator("fr")("status.active") == "利用中"  # unknown languages fall back to Japanese
    assert Translator("en")("no.such.key") == "no.such.key"
