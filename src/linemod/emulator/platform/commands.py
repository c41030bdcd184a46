"""What the platform's other parties ask of it, as checked values.

The control API takes these as its request bodies (so they appear, with their schemas, on
`/_emulator/docs`), and the simulator pages build the same ones from their forms with `build()`.
A value of one of these types has been checked for shape, type and range; the `Platform` methods
that take one only apply the rules that depend on the platform's state (an unknown account is
404, a taken basic ID 409, ...).

Fields are strict: a number given as a string, or `1` for `true`, is refused as it always was.
Unknown fields are ignored (the contract welcomes more fields).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Self, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)
from pydantic.types import Strict

from linemod.emulator.errors import ControlError, describe_validation

BrandType = Literal["premium", "verified", "unverified"]
Region = Literal["JP", "TW"]
ChatMode = Literal["chat", "bot"]
BRAND_TYPES: tuple[str, ...] = get_args(BrandType)
REGIONS: tuple[str, ...] = get_args(Region)
CHAT_MODES: tuple[str, ...] = get_args(ChatMode)

# A century: longer than any timer the platform keeps, and it keeps every time the clock can
# reach printable as a date (the pages show them).
MAX_SECONDS = 100 * 365 * 86_400


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an http(s) URL")
    return value


def _redirect_uri(value: str) -> str:
    # LINE requires https; loopback http is allowed so a laptop can run the module.
    if not value.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ValueError(f"redirect URI must be https (or loopback http): {value}")
    return value


def _number_as_text(value: object) -> object:
    # IDs that are digits on LINE (channel, sticker, package) were always taken as JSON numbers too.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


NonBlank = Annotated[StrictStr, AfterValidator(_not_blank)]
WebhookUrl = Annotated[StrictStr, AfterValidator(_http_url)]
RedirectUri = Annotated[StrictStr, AfterValidator(_redirect_uri)]
IdText = Annotated[StrictStr, BeforeValidator(_number_as_text, json_schema_input_type=str | int)]
Seconds = Annotated[float, Strict(), Field(allow_inf_nan=False, le=MAX_SECONDS)]


class Command(BaseModel):
    """A checked body. Commands are values: they are never changed after checking."""

    model_config = ConfigDict(frozen=True)


class Patch(Command):
    """A PATCH body: only the fields sent change, and a field that cannot be null cannot be nulled."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        for name in sorted(self.model_fields_set - self.NULLABLE):
            if getattr(self, name, None) is None:
                raise ValueError(f"{name} must not be null")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the caller sent, by name (nested objects stay checked models)."""
        return {name: getattr(self, name) for name in type(self).model_fields if name in self.model_fields_set}


M = TypeVar("M", bound=BaseModel)


def build(model: type[M], **fields: Any) -> M:
    """A command from values that did not come through the control API (a form, a tapped action).

    Refused values are a `ControlError` 400 in the control API's words, which the pages show too.
    """
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise ControlError(400, describe_validation(exc.errors())) from None


# ---- module channels and their keys -------------------------------------------------------------


class NewModuleChannel(Command):
    """`POST /_emulator/module-channels`: a module channel as LY Corporation's staff set it up."""

    name: NonBlank
    webhook_url: WebhookUrl | None = None
    redirect_uris: list[RedirectUri] = []
    channel_id: IdText | None = Field(None, description="generated when absent or empty")
    channel_secret: StrictStr | None = Field(None, description="generated when absent or empty")
    default_active: StrictBool = True
    webhook_enabled: StrictBool = True
    redelivery: StrictBool = False
    description: StrictStr | None = None
    public_keys: dict[str, dict[str, Any]] = Field({}, description="kid -> public JWK")


class ModuleChannelPatch(Patch):
    """`PATCH /_emulator/module-channels/{channel_id}`: any setting of a module channel."""

    NULLABLE = frozenset({"webhook_url", "channel_secret", "description"})

    name: NonBlank | None = None
    webhook_url: WebhookUrl | None = None
    redirect_uris: list[RedirectUri] | None = None
    channel_secret: StrictStr | None = Field(None, description="null or empty keeps the secret")
    default_active: StrictBool | None = None
    webhook_enabled: StrictBool | None = None
    redelivery: StrictBool | None = None
    description: StrictStr | None = None
    public_keys: dict[str, dict[str, Any]] | None = None


class PublicKey(Command):
    """`POST .../public-keys`: an assertion-signing key as the Developers Console takes it (RSA, RS256).

    Other JWK members (`use`, ...) are kept; `kid` is the console's to assign.
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    kty: Literal["RSA"]
    alg: Literal["RS256"] = "RS256"
    n: StrictStr
    e: StrictStr

    @model_validator(mode="after")
    def _no_kid(self) -> Self:
        if "kid" in (self.model_extra or {}):
            raise ValueError("the public key must not contain kid")
        return self

    def jwk(self) -> dict[str, Any]:
        """The key as sent (an absent `alg` stays absent)."""
        return self.model_dump(exclude_unset=True)


# ---- accounts and people --------------------------------------------------------------------------


class NewPrimaryChannel(Command):
    """The OA's own Messaging API channel, created with it."""

    channel_id: IdText | None = Field(None, description="generated when absent or empty")
    channel_secret: StrictStr | None = Field(None, description="generated when absent or empty")
    webhook_url: StrictStr | None = None
    webhook_enabled: StrictBool = True
    redelivery: StrictBool = False


class NewAccount(Command):
    """`POST /_emulator/accounts`: an Official Account as its admin creates it."""

    display_name: NonBlank
    basic_id: StrictStr | None = Field(None, description="generated when absent or empty; `@` is prefixed")
    premium_id: StrictStr | None = None
    picture_url: StrictStr | None = None
    brand_type: BrandType = "verified"
    region: Region = "JP"
    chat_mode: ChatMode = "chat"
    webhook_enabled: StrictBool = True
    primary_channel: NewPrimaryChannel | None = Field(None, description="null: the OA has no Messaging API channel")


class PrimaryChannelPatch(Patch):
    NULLABLE = frozenset({"webhook_url"})

    webhook_url: StrictStr | None = None
    webhook_enabled: StrictBool | None = None
    redelivery: StrictBool | None = None


class AccountPatch(Patch):
    """`PATCH /_emulator/accounts/{bot_id}`: the OA's settings (a missing Primary Channel is left alone)."""

    NULLABLE = frozenset({"premium_id", "picture_url", "primary_channel"})

    display_name: NonBlank | None = None
    chat_mode: ChatMode | None = None
    brand_type: BrandType | None = None
    region: Region | None = None
    webhook_enabled: StrictBool | None = None
    premium_id: StrictStr | None = None
    picture_url: StrictStr | None = None
    primary_channel: PrimaryChannelPatch | None = None


Gender = Literal["male", "female"]
Age = Annotated[StrictInt, Field(ge=0, le=130)]
AreaCode = Annotated[StrictStr, Field(pattern=r"^(jp|tw|th|id)_[0-9]{2}$", description="e.g. jp_13 (Tokyo)")]
AppType = Literal["ios", "android", "others"]
PhoneNumber = Annotated[StrictStr, Field(pattern=r"^\+[1-9][0-9]{6,14}$", description="E.164")]


class NewPerson(Command):
    """`POST /_emulator/users`: a LINE user, with what LINE estimates about them (null: unknown)."""

    display_name: NonBlank
    language: StrictStr | None = Field("ja", description="null or empty: ja")
    picture_url: StrictStr | None = None
    status_message: StrictStr | None = None
    gender: Gender | None = None
    age: Age | None = None
    area: AreaCode | None = None
    app_type: AppType | None = None
    phone_number: PhoneNumber | None = None


class AccountDeletion(Command):
    """`POST /_emulator/accounts/{bot_id}/delete` (the body is optional)."""

    purge_after_seconds: Annotated[Seconds, Field(ge=0)] | None = Field(
        None, description="default: the emulator's setting, 7,776,000 (about 3 months)")


class ClockAdvance(Command):
    """`POST /_emulator/clock/advance`."""

    seconds: Annotated[Seconds, Field(gt=0)]


class Postback(Command):
    """`POST .../postback`: what the LINE app sends for a postback action."""

    data: Annotated[StrictStr, Field(min_length=1)]
    params: dict[str, StrictStr] | None = Field(
        None, description="date/time/datetime as the datetime picker sends them")
    display_text: StrictStr | None = Field(None, description="shown as the user's bubble; no message event")
