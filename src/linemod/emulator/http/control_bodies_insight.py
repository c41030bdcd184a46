"""The control API's bodies for what users are (demographics, phone number), what they do with the messages
they received, and the OA's memberships and OA Manager audiences."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr

from linemod.emulator.platform.commands import Age, AppType, AreaCode, Command, Gender, NonBlank, PhoneNumber


class Demographics(Command):
    """`PUT /_emulator/users/{user_id}/demographics`: what LINE estimates about the user (null: unknown)."""

    gender: Gender | None = None
    age: Age | None = None
    area: AreaCode | None = None
    app_type: AppType | None = None
    phone_number: PhoneNumber | None = None


class Click(Command):
    """`POST .../messages/{message_id}/click`: the user opens a URL the message links to."""

    url: NonBlank


class Play(Command):
    """`POST .../messages/{message_id}/play`: the user plays a video or audio message up to `percent`."""

    percent: Annotated[StrictInt, Field(ge=1, le=100)] = 100


class NewMembership(Command):
    """`POST /_emulator/accounts/{bot_id}/memberships`: a plan the OA's admin publishes."""

    title: NonBlank
    description: StrictStr = ""
    benefits: Annotated[list[NonBlank], Field(min_length=1)]
    price: StrictInt | StrictFloat
    currency: Literal["JPY", "TWD", "THB"] = "JPY"
    member_limit: Annotated[StrictInt, Field(ge=1)] | None = None
    is_in_app_purchase: StrictBool = False
    is_published: StrictBool = True


class Member(Command):
    user_id: StrictStr


class OperatorAudience(Command):
    """`POST /_emulator/accounts/{bot_id}/audience-groups`: an audience made in OA Manager, or shared with the
    OA by a Business Manager owner (`shared_by`)."""

    description: NonBlank
    user_ids: list[StrictStr] = Field(default_factory=list)
    shared_by: NonBlank | None = Field(None, description="the owner's name; null: made in OA Manager")
