"""Whole payloads, hand-written and built with the official SDK, pass the Messaging API's validation.
"""

from __future__ import annotations

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

from linemod.emulator.validation.messages import validate_messages
from tests.emulator.message_shapes import (
    IMG,
    body,
    buttons,
    carousel,
    column,
    item,
    message_action,
    text,
)

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
