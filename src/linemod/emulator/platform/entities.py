"""The things the platform stores. Plain data: the rules that change them live beside, by area."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

BrandType = Literal["premium", "verified", "unverified"]
PRIMARY = "primary"  # the holder of chat control when control "returns to the Primary Channel"


@dataclass
class PrimaryChannel:
    """An OA's own Messaging API channel."""

    channel_id: str
    channel_secret: str
    bot_id: str
    webhook_url: str | None = None
    webhook_enabled: bool = True
    redelivery: bool = False

    kind: str = "primary"

    def public(self) -> dict[str, Any]:
        return {
            "channel_id": self.channel_id,
            "channel_secret": self.channel_secret,
            "webhook_url": self.webhook_url,
            "webhook_enabled": self.webhook_enabled,
            "redelivery": self.redelivery,
        }


@dataclass
class ModuleChannel:
    """A module channel: one webhook URL, many OAs attached to it."""

    channel_id: str
    channel_secret: str
    name: str
    webhook_url: str | None = None
    redirect_uris: list[str] = field(default_factory=list)
    default_active: bool = True
    webhook_enabled: bool = True
    redelivery: bool = False
    description: str = ""
    # kid -> public JWK registered for JWT assertions (v2.1 and stateless-by-assertion tokens)
    public_keys: dict[str, dict[str, Any]] = field(default_factory=dict)

    kind: str = "module"

    def public(self) -> dict[str, Any]:
        return {
            "channel_id": self.channel_id,
            "channel_secret": self.channel_secret,
            "name": self.name,
            "description": self.description,
            "webhook_url": self.webhook_url,
            "redirect_uris": list(self.redirect_uris),
            "default_active": self.default_active,
            "webhook_enabled": self.webhook_enabled,
            "redelivery": self.redelivery,
            "public_keys": {kid: dict(jwk) for kid, jwk in self.public_keys.items()},
        }


Channel = PrimaryChannel | ModuleChannel


@dataclass
class Person:
    """A LINE user, known to the emulator by a global ID no channel ever sees."""

    user_id: str
    display_name: str
    language: str = "ja"
    picture_url: str | None = None
    status_message: str | None = None
    # What LINE estimates about a user, for insight and narrowcast filters (platform/demographics.py);
    # None is "unknown", as LINE reports users it has no estimate for.
    gender: str | None = None
    age: int | None = None
    area: str | None = None  # a narrowcast area code such as "jp_13"
    app_type: str | None = None
    phone_number: str | None = None  # E.164, for LINE notification messages by phone number

    def public(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "display_name": self.display_name,
            "language": self.language,
            "picture_url": self.picture_url,
            "status_message": self.status_message,
            "gender": self.gender,
            "age": self.age,
            "area": self.area,
            "app_type": self.app_type,
            "phone_number": self.phone_number,
        }


@dataclass
class Friendship:
    friend: bool = False
    blocked: bool = False
    since_ms: int = 0
    last_message_ms: int | None = None


@dataclass
class OfficialAccount:
    bot_id: str
    basic_id: str
    display_name: str
    premium_id: str | None = None
    picture_url: str | None = None
    brand_type: str = "verified"
    region: str = "JP"
    chat_mode: str = "chat"
    webhook_enabled: bool = True  # the OA's response setting "use webhook"
    status: str = "active"  # active | suspended | deleted
    purge_at_ms: int | None = None
    primary_channel_id: str | None = None
    created_at_ms: int = 0
    friends: dict[str, Friendship] = field(default_factory=dict)
    default_richmenu_id: str | None = None
    user_richmenus: dict[str, str] = field(default_factory=dict)  # person -> rich menu ID

    @property
    def mark_as_read_mode(self) -> str:
        return "manual" if self.chat_mode == "chat" else "auto"

    def public(self, primary: PrimaryChannel | None) -> dict[str, Any]:
        return {
            "bot_id": self.bot_id,
            "basic_id": self.basic_id,
            "premium_id": self.premium_id,
            "display_name": self.display_name,
            "picture_url": self.picture_url,
            "brand_type": self.brand_type,
            "region": self.region,
            "chat_mode": self.chat_mode,
            "mark_as_read_mode": self.mark_as_read_mode,
            "webhook_enabled": self.webhook_enabled,
            "status": self.status,
            "purge_at_ms": self.purge_at_ms,
            "primary_channel": primary.public() if primary else None,
        }


@dataclass
class Attachment:
    channel_id: str
    bot_id: str
    scopes: list[str]
    attached_at_ms: int


@dataclass
class ChatControl:
    """Who holds a chat after an Acquire, a Release or a TTL expiry; absent means the OA's default."""

    holder: str  # a channel ID, or PRIMARY
    expire_at_ms: int | None = None  # None: no time limit
    acquired_at_ms: int = 0


@dataclass
class ChatEntry:
    """One bubble of a chat as the user's phone shows it."""

    id: str
    sender: str  # "user" | "channel:<id>" | "operator"
    timestamp: int
    message: dict[str, Any]
    delivered: bool = True

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "from": self.sender,
            "timestamp": self.timestamp,
            "message": self.message,
            "delivered": self.delivered,
        }
