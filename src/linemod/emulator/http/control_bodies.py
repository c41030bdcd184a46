"""The control API's request bodies that are not platform commands.

Bodies the platform takes as they are (accounts, channels, messages, ...) are its commands
(`platform/commands.py`); the ones here only carry arguments for one route (who befriends, which
area is tapped) or drive the emulator's own machinery (faults, deliveries, load).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictInt, StrictStr

from linemod.emulator.platform.commands import Command, NonBlank
from linemod.emulator.platform.user_messages import UserMessage

PickerParams = dict[str, StrictStr]


class Friend(Command):
    """`POST /_emulator/accounts/{bot_id}/friends`."""

    user_id: StrictStr


class RichMenuTap(Command):
    """`POST .../richmenu-tap`: the user taps area `area` of the rich menu they see."""

    area: Annotated[StrictInt, Field(ge=0, description="index in the user's current rich menu")]
    params: PickerParams | None = Field(None, description="what the user picks when the area is a datetime picker")


class ActionTap(Command):
    """`POST .../actions`: the user taps an action object (template button, quick reply, Flex button)."""

    action: dict[str, Any] = Field(description="a LINE action object, as a message carried it")
    params: PickerParams | None = Field(None, description="what the user picks for a datetime picker")


class OperatorMessage(Command):
    """`POST .../operator-messages`."""

    text: NonBlank


class LoadMessages(Command):
    """`POST /_emulator/load/messages`: `count` texts spread over `user_ids`, for load tests."""

    bot_id: StrictStr
    user_ids: Annotated[list[StrictStr], Field(min_length=1)]
    count: Annotated[StrictInt, Field(ge=1, le=100_000)] = 1
    text: Annotated[StrictStr, Field(max_length=5000)] | None = Field(None, description="default: load")


class Authorize(Command):
    """`POST /_emulator/authorize`: the OA admin answers the consent screen."""

    authorize_url: StrictStr = Field(description="the full /module/auth/v1/authorize?... URL a module built")
    decision: Literal["approve", "deny"]
    bot_id: StrictStr | None = Field(None, description="the OA the admin picks (required to approve)")


class WebhookTest(Command):
    """`POST /_emulator/module-channels/{channel_id}/webhook-test` (the body is optional)."""

    bot_id: StrictStr | None = Field(None, description="default: the first OA the channel is attached to")


class DeliveriesFlush(Command):
    """`POST /_emulator/deliveries/flush` (the body is optional)."""

    timeout_seconds: Annotated[float, Field(strict=True, gt=0, le=3600, allow_inf_nan=False)] = 10


class FaultSpec(Command):
    """`POST /_emulator/faults`: the next `count` matching LINE API calls answer `status`."""

    method: StrictStr
    path: Annotated[StrictStr, Field(pattern=r"^/", description="a LINE API path template, e.g. /v2/bot/message/push")]
    status: Annotated[StrictInt, Field(ge=400, le=599)]
    count: Annotated[StrictInt, Field(ge=1)] = 1
    body: Any = Field(None, description="the answer's JSON body (default: a LINE-style message)")


Members = Annotated[list[StrictStr], Field(min_length=1, max_length=500)]


class NewGroup(Command):
    """`POST /_emulator/accounts/{bot_id}/groups`: the OA is invited into a group with these people."""

    name: NonBlank
    members: Members
    picture_url: StrictStr | None = Field(None, description="the group's icon (getGroupSummary's pictureUrl)")


class NewRoom(Command):
    """`POST /_emulator/accounts/{bot_id}/rooms`: people start a multi-person chat with the OA in it."""

    members: Annotated[list[StrictStr], Field(min_length=2, max_length=500)]


class Joining(Command):
    """`POST .../groups/{group_id}/members`: people join."""

    user_ids: Members


class GroupMessage(Command):
    """`POST .../groups/{group_id}/messages`: a member writes in the group."""

    user_id: StrictStr
    message: Annotated[UserMessage, Field(description="a message as the user sends it")]


class GroupPostback(Command):
    """`POST .../groups/{group_id}/postback`: a member taps a postback action in the group."""

    user_id: StrictStr
    data: Annotated[StrictStr, Field(min_length=1)]
    params: PickerParams | None = Field(None, description="date/time/datetime as the datetime picker sends them")
    display_text: StrictStr | None = Field(None, description="shown as the member's bubble; no message event")


class Acting(Command):
    """The body of an action in a chat: in a group or room, `user_id` names the member who acts."""

    user_id: StrictStr | None = Field(None, description="required in a group or room; ignored in a user's chat")


class VideoWatched(Acting):
    """`POST .../video-play-complete`: the person watched to the end a video the OA sent with a trackingId."""

    message_id: StrictStr


class BeaconSeen(Command):
    """`POST .../chats/{user_id}/beacon`: the person's phone meets one of the OA's LINE Beacons."""

    hwid: Annotated[StrictStr, Field(pattern=r"^[0-9a-f]{10}$", description="the beacon's hardware ID: 10 hex digits")]
    type: Literal["enter", "banner", "stay"] = "enter"
    dm: Annotated[StrictStr, Field(pattern=r"^(?:[0-9a-f]{2}){1,13}$")] | None = Field(
        None, description="the device message, hex (at most 13 bytes)")


class AccountLinkDone(Command):
    """`POST /_emulator/account-link`: the person finishes LINE's account-link screen."""

    link_token: StrictStr
    nonce: Annotated[StrictStr, Field(min_length=10, max_length=255)]
