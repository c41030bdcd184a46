"""What people send in a chat, as checked values: text, stickers, places, and media (photos, videos, voice
messages, files) whose bytes `GET /v2/bot/message/{messageId}/content` answers.

A medium comes either with its bytes (`content_base64`, or an uploaded file the control API turns into
the same command) and LINE as its content provider, or as a link to content kept elsewhere
(`original_content_url`, the `external` provider LINE uses for media a user shares from another service).
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, ClassVar, Literal, Self

from pydantic import (
    AfterValidator,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic.types import Strict

from linemod.emulator.errors import ControlError, describe_validation
from linemod.emulator.platform.commands import Command, IdText, NonBlank, Seconds

MAX_CONTENT_BYTES = 50 * 1024 * 1024  # a bound on memory; the control API's max_body_bytes usually binds first


class MentionFromUser(Command):
    """`@someone` in a group or room's text: `target` is a member's user ID, `oa` for the OA, or `all`."""

    index: Annotated[StrictInt, Field(ge=0)]
    length: Annotated[StrictInt, Field(ge=1)]
    target: Annotated[StrictStr, Field(min_length=1)]


class TextFromUser(Command):
    type: Literal["text"]
    text: Annotated[StrictStr, Field(min_length=1, max_length=5000)]
    emojis: list[dict[str, object]] | None = None
    mentions: Annotated[list[MentionFromUser], Field(max_length=20)] | None = Field(
        None, description="in a group or room only")
    quoted_message_id: StrictStr | None = Field(None, description="a message of the same chat the user quotes")

    @model_validator(mode="after")
    def _mentions_in_text(self) -> Self:
        for mention in self.mentions or []:
            if mention.index + mention.length > len(self.text):
                raise ValueError("a mention must lie within the text")
        return self


class StickerFromUser(Command):
    type: Literal["sticker"]
    packageId: Annotated[IdText, Field(min_length=1)]
    stickerId: Annotated[IdText, Field(min_length=1)]
    quoted_message_id: StrictStr | None = Field(None, description="a message of the same chat the user quotes")


class LocationFromUser(Command):
    type: Literal["location"]
    latitude: Annotated[float, Strict(), Field(ge=-90, le=90, allow_inf_nan=False)]
    longitude: Annotated[float, Strict(), Field(ge=-180, le=180, allow_inf_nan=False)]
    title: StrictStr | None = None
    address: StrictStr | None = None


def _base64(value: str) -> str:
    try:
        blob = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("must be base64") from None
    if not blob:
        raise ValueError("must not be empty")
    if len(blob) > MAX_CONTENT_BYTES:
        raise ValueError(f"must be at most {MAX_CONTENT_BYTES} bytes")
    return value


def _https(value: str) -> str:
    if not value.startswith("https://"):
        raise ValueError("must be an https URL")
    return value


Base64 = Annotated[StrictStr, AfterValidator(_base64)]
HttpsUrl = Annotated[StrictStr, AfterValidator(_https)]
Milliseconds = Annotated[StrictInt, Field(ge=1, le=24 * 3600 * 1000)]


class MediaFromUser(Command):
    """A medium: its bytes (provider `line`), or where another service keeps it (provider `external`)."""

    DEFAULT_TYPE: ClassVar[str] = "application/octet-stream"

    content_base64: Base64 | None = Field(None, description="the bytes; or give original_content_url")
    content_type: StrictStr | None = Field(None, description="the bytes' media type")
    original_content_url: HttpsUrl | None = Field(None, description="external provider: where the content is")
    preview_image_url: HttpsUrl | None = Field(None, description="external provider: its preview image")

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.content_base64 is None) == (self.original_content_url is None):
            raise ValueError("give exactly one of content_base64 and original_content_url")
        if self.preview_image_url is not None and self.original_content_url is None:
            raise ValueError("preview_image_url goes with original_content_url")
        return self

    @property
    def content(self) -> bytes | None:
        return base64.b64decode(self.content_base64) if self.content_base64 is not None else None

    @property
    def media_type(self) -> str:
        return self.content_type or self.DEFAULT_TYPE

    def provider(self) -> dict[str, str]:
        """The webhook's `contentProvider`."""
        if self.original_content_url is None:
            return {"type": "line"}
        out = {"type": "external", "originalContentUrl": self.original_content_url}
        if self.preview_image_url is not None:
            out["previewImageUrl"] = self.preview_image_url
        return out


class ImageSet(Command):
    """Photos sent together: the same `id`, each with its place in the set."""

    id: Annotated[StrictStr, Field(min_length=1)]
    index: Annotated[StrictInt, Field(ge=1)]
    total: Annotated[StrictInt, Field(ge=2, le=20)]

    @model_validator(mode="after")
    def _index_in_set(self) -> Self:
        if self.index > self.total:
            raise ValueError("index must not exceed total")
        return self


class ImageFromUser(MediaFromUser):
    """A photo; its preview (`.../content/preview`) is made from it."""

    DEFAULT_TYPE = "image/jpeg"
    type: Literal["image"]
    image_set: ImageSet | None = Field(None, description="set when several photos are sent at once")


class Transcoded(MediaFromUser):
    """Video and audio: LINE prepares them before they can be downloaded (choice 37)."""

    duration: Milliseconds | None = Field(None, description="length in ms; absent: not sent")
    ready_after_seconds: Annotated[Seconds, Field(ge=0)] = Field(
        0, description="the content is `processing` for this long on the emulator's clock")
    transcoding_fails: StrictBool = Field(False, description="the preparation fails: status `failed`")


class VideoFromUser(Transcoded):
    DEFAULT_TYPE = "video/mp4"
    type: Literal["video"]
    preview_base64: Base64 | None = Field(None, description="the preview image (default: one the emulator draws)")


class AudioFromUser(Transcoded):
    DEFAULT_TYPE = "audio/m4a"
    type: Literal["audio"]


class FileFromUser(Command):
    """A file: always kept by LINE (LINE sends no content provider for files)."""

    type: Literal["file"]
    file_name: NonBlank
    content_base64: Base64
    content_type: StrictStr | None = Field(None, description="default application/octet-stream")

    @property
    def content(self) -> bytes:
        return base64.b64decode(self.content_base64)

    @property
    def media_type(self) -> str:
        return self.content_type or "application/octet-stream"


Media = ImageFromUser | VideoFromUser | AudioFromUser | FileFromUser
AnyUserMessage = TextFromUser | StickerFromUser | LocationFromUser | Media
UserMessage = Annotated[AnyUserMessage, Field(discriminator="type")]
USER_MESSAGE = TypeAdapter(UserMessage)
MEDIA_TYPES = ("image", "video", "audio", "file")


def user_message(data: object) -> AnyUserMessage:
    """A message a person sends, from an untyped value (a sample, a tapped action's text, a page's form)."""
    try:
        return USER_MESSAGE.validate_python(data)
    except ValidationError as exc:
        raise ControlError(400, describe_validation(exc.errors())) from None
